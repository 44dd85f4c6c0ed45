"""Historical discovery: remember every article URL met, mark discovered outlets, and let
crawl-run rows name a discovery source (GDELT) as well as an outlet."""

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    # Every URL that led to an article page, canonicalised, with what came of it: a re-run
    # skips URLs it already has an answer for instead of downloading them again.
    db["urls"].create(
        {"url": str, "article_id": int, "outcome": str, "first_seen_at": str, "last_seen_at": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["urls"].create_index(["article_id"])
    for column in ("url", "canonical_url"):
        db.execute(
            f"insert or ignore into urls (url, article_id, outcome, first_seen_at, last_seen_at) "
            f"select {column}, id, case when duplicate_of is null then 'stored' else 'duplicate' end, "
            f"first_seen_at, last_seen_at from articles"
        )

    # Outlets found through a discovery source rather than listed in the sources file.
    db["outlets"].add_column("discovered", int, not_null_default=0)
    db["outlets"].add_column("listings", str)

    # A discovery source's counts are recorded under its name, which is no outlet.
    db["crawl_run_outlets"].transform(drop_foreign_keys=["outlet"])
    db["crawl_run_outlets"].add_column("skipped_known", int)
    db["crawl_run_outlets"].add_column("outside_window", int)
    db["crawl_runs"].add_column("since", str)
    db["crawl_runs"].add_column("until", str)
    db["crawl_runs"].add_column("skipped_known", int)
    db["crawl_runs"].add_column("outside_window", int)
