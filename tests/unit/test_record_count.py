"""The bench's record counter sorts every topic of a run into its kind and divides by the articles."""

from streams.settings import Settings
from streams.tools.record_count import kind_of, per_article

RUN = Settings(topic_prefix="bench1.", app_id="bench1.newsstreams")


def test_topics_are_sorted_into_kinds() -> None:
    kinds = {
        "bench1.news.articles.raw": "input",
        "bench1.news.articles.raw.by-source": "hop",
        "bench1.news.articles.clean": "hop",
        "bench1.news.entities": "contract",
        "bench1.news.people.learned": "contract",
        "bench1.news.entities.trending": "trending",
        "bench1.newsstreams-trending-panes-changelog": "changelog",
        "bench1.newsstreams-trending-topics-by-code-repartition": "repartition",
        "bench1.news.deadletter": "dead_letter",
    }
    assert {t: kind_of(t, RUN) for t in kinds} == kinds


def test_the_figure_counts_everything_but_input_contract_and_dead_letters() -> None:
    totals = {
        "bench1.news.articles.raw": 10,
        "bench1.news.entities": 160,
        "bench1.news.articles.clean": 10,
        "bench1.news.entities.trending": 40,
        "bench1.newsstreams-trending-panes-changelog": 5,
        "bench1.news.deadletter": 1,
    }
    figures = per_article(totals, RUN, 10)
    assert figures["other_than_contract_per_article"] == 5.5
    assert figures["per_article_by_kind"] == {
        "changelog": 0.5,
        "contract": 16.0,
        "dead_letter": 0.1,
        "hop": 1.0,
        "trending": 4.0,
    }
