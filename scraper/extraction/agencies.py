"""News agencies, as bylines name them: an agency is credited, but it is not a person.

``agency(name)`` gives the agency's short name ("Agence France-Presse" -> "AFP") or None. The
agencies are those the monitored outlets and the wider news pages credit: the world agencies,
the region's (TASS, Interfax, APA, Trend, Armenpress, Ukrinform …) and the European national
ones (dpa, APA, EFE, ANSA, NTB, TT …).
"""

from __future__ import annotations

import re

# Each agency's short name, then the other ways bylines write it.
_AGENCIES = {
    "AP": ("Associated Press", "The Associated Press"),
    "Reuters": ("Thomson Reuters",),
    "AFP": ("Agence France-Presse", "Agence France Presse"),
    "dpa": ("Deutsche Presse-Agentur",),
    "TASS": ("ТАСС", "ITAR-TASS", "ИТАР-ТАСС"),
    "Interfax": ("Интерфакс", "Інтерфакс"),
    "RIA Novosti": ("РИА Новости", "RIA"),
    "Sputnik": ("Спутник",),
    "APA": ("Austria Presse Agentur", "Azerbaijan Press Agency"),
    "Trend": ("Trend News Agency",),
    "Azertac": ("AZERTAC", "Азертадж"),
    "Report.az": (),
    "Armenpress": ("Арменпресс",),
    "Ukrinform": ("Укрінформ",),
    "UNIAN": ("УНІАН", "УНИАН"),
    "EFE": ("Agencia EFE",),
    "ANSA": (),
    "Xinhua": (),
    "Anadolu": ("Anadolu Agency", "Anadolu Ajansı", "AA"),
    "Kyodo": (),
    "Jiji": ("Jiji Press",),
    "Yonhap": (),
    "Bloomberg": (),
    "PA": ("PA Media", "Press Association"),
    "AAP": ("Australian Associated Press",),
    "KNA": (),
    "epd": (),
    "SID": (),
    "NTB": (),
    "TT": (),
    "Ritzau": (),
    "STT": (),
    "SDA": ("Keystone-SDA",),
    "ANP": (),
    "Belga": (),
    "PAP": (),
    "ČTK": ("CTK",),
    "MTI": (),
}
_NOT_LETTER = re.compile(r"[\W_]+")


def _key(name: str) -> str:
    return _NOT_LETTER.sub("", name.casefold())


_BY_KEY = {_key(spelling): short for short, others in _AGENCIES.items() for spelling in (short, *others)}


def agency(name: str) -> str | None:
    """The agency ``name`` is ("The Associated Press" -> "AP", "dpa" -> "dpa"), else None."""
    return _BY_KEY.get(_key(name))
