import pytest

from media_monitor.story.topic import TopicError, load_topic, parse_topic

TOPIC = load_topic()  # the bundled default topic


@pytest.mark.parametrize(
    "title, text, on_topic",
    [
        ("Russian peacekeepers begin withdrawal from Karabakh", "", True),
        ("", "The last convoy of the peacekeeping contingent left Khankendi on Sunday.", True),
        ("Миротворцы покидают Карабах", "", True),
        ("", "Российских миротворцев выводят из Карабаха досрочно.", True),
        ("Ռուս խաղաղապահները հեռանում են Ղարաբաղից", "", True),
        ("", "Rusiya sülhməramlıları Qarabağdan çıxarılır.", True),
        ("", "RUSİYA SÜLHMƏRAMLILARI QARABAĞI TƏRK EDİR", True),
        # one concept alone is not the story
        ("UN peacekeepers extend their mission in Lebanon", "", False),
        ("Karabakh horse breeders win award", "", False),
        ("Tbilisi wine festival opens", "", False),
    ],
)
def test_default_topic(title, text, on_topic):
    assert TOPIC.match(title, text).on_topic is on_topic


def test_relevance_and_matched_terms():
    match = TOPIC.match("Peacekeepers leave Karabakh", "The peacekeepers withdrew.")
    assert match.relevance == 1.0
    assert match.matched_terms == ["karabakh", "leave", "peacekeepers", "withdrew"]
    assert TOPIC.match("Peacekeepers in Karabakh").relevance == 0.8


def test_prefix_and_whole_word_terms():
    topic = parse_topic('threshold = 1\n[[concept]]\nname = "x"\nweight = 1\n[concept.terms]\nen = ["peace*", "war"]\n')
    assert topic.match("peacekeeping").on_topic
    assert topic.match("the war").on_topic
    assert not topic.match("warning").on_topic  # whole word only without *
    assert not topic.match("appease").on_topic  # a prefix term matches at a word start only


def test_bad_topic_files():
    with pytest.raises(TopicError, match="no \\[\\[concept\\]\\]"):
        parse_topic("threshold = 1\n")
    with pytest.raises(TopicError, match="concept 'x' has no terms"):
        parse_topic('[[concept]]\nname = "x"\n')
    with pytest.raises(TopicError, match="not valid TOML"):
        parse_topic("threshold = \n")
