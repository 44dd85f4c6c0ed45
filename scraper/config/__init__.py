"""The bundled configuration: the sources file (``sources.toml``, read by ``sources``) and the
topic files (``topics/``). Another story or outlet list is another file, not new code."""

from pathlib import Path

CONFIG_DIR = Path(__file__).parent
