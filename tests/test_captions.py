"""A picture's caption, credit or alt text is never an article's lead or first line (issue 18:
an AP page whose carousel caption came first, twice)."""

import pytest

from media_monitor.extraction.page import extract_page
from media_monitor.extraction.pageparts import picture_texts, without_leading_captions

STORY = (
    "<p>The last Russian peacekeepers left Karabakh on Wednesday, ending a deployment that began in 2020.</p>"
    "<p>Columns of armoured vehicles crossed into Armenia before dawn, officials in Yerevan said.</p>"
    "<p>The withdrawal began in April and was completed ahead of the schedule both sides had agreed.</p>"
    "<p>Residents who stayed in the region watched the last convoy leave from the roadside.</p>"
)
# AP's carousel at the head of a story, as a public repository's test of AP pages reproduces it
# (a <span class="CarouselSlide-infoDescription"> of <p>s inside div.CarouselSlide), with this
# story's own caption and credit.
AP_CAROUSEL = (
    '<div class="CarouselSlide"><div class="CarouselSlide-media"><img src="p.jpg" '
    'alt="A convoy of Russian armoured vehicles on the road to Goris, Armenia."></div>'
    '<div class="CarouselSlide-info"><div class="CarouselSlide-info-content">'
    '<span class="CarouselSlide-infoDescription"><p>A convoy of Russian armoured vehicles drives on the road '
    "to Goris, Armenia, on Wednesday, June 12, 2024.</p></span>"
    '<span class="CarouselSlide-infoAttribution">(AP Photo/Hayk Baghdasaryan)</span></div></div></div>'
)


def ap_page(carousel: str) -> str:
    return (
        "<html><head><title>Last Russian peacekeepers leave Karabakh | AP News</title></head><body>"
        '<main class="Page-main"><h1 class="Page-headline">Last Russian peacekeepers leave Karabakh</h1>'
        f'{carousel}<div class="RichTextStoryBody RichTextBody">{STORY}</div></main></body></html>'
    )


def test_an_ap_carousel_caption_is_not_the_lead():
    text = extract_page(ap_page(AP_CAROUSEL * 2), "https://apnews.com/article/karabakh-peacekeepers")["text"]
    headline, lead = text.split("\n")[:2]
    assert (headline, lead[:45]) == (
        "Last Russian peacekeepers leave Karabakh",
        "The last Russian peacekeepers left Karabakh o",
    )
    assert "drives on the road" not in text


def test_a_figcaption_is_not_taken_for_the_lead():
    html = (
        "<html><body><article><h1>Last Russian peacekeepers leave Karabakh</h1>"
        '<figure class="lead-image"><img src="p.jpg" alt="Armoured vehicles"><figcaption>'
        '<p class="lead">Armoured vehicles on the road to Goris on Wednesday, the last of the contingent.</p>'
        f"</figcaption></figure>{STORY}</article></body></html>"
    )
    text = extract_page(html, "https://news.example/2024/06/12/karabakh")["text"]
    assert "Armoured vehicles on the road" not in text
    assert text.split("\n")[1].startswith("The last Russian peacekeepers left Karabakh")


CAPTIONS = {"A convoy on the road to Goris, Armenia, on Wednesday, June 12, 2024.", "Armoured vehicles"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A convoy on the road to Goris, Armenia, on Wednesday, June 12, 2024.\nThe story.", "The story."),
        # twice, and an alt text
        (
            "A convoy on the road to Goris, Armenia, on Wednesday, June 12, 2024.\n"
            "A convoy on the road to Goris, Armenia, on Wednesday, June 12, 2024.\nArmoured vehicles\nThe story.",
            "The story.",
        ),
        # a long part of a caption
        ("A convoy on the road to Goris, Armenia, on Wednesday\nThe story.", "The story."),
        # a caption further down stays: only the first lines are the extractor's mistake
        ("The story.\nArmoured vehicles", "The story.\nArmoured vehicles"),
        # a short line that a caption happens to contain is not the caption
        ("Armenia\nThe story.", "Armenia\nThe story."),
        # a text that is nothing but captions is left whole
        ("Armoured vehicles", "Armoured vehicles"),
        # under the headline
        ("Convoy leaves\nArmoured vehicles\nThe story.", "Convoy leaves\nThe story."),
    ],
)
def test_without_leading_captions(text, expected):
    assert without_leading_captions(text, CAPTIONS, "Convoy leaves") == expected


def test_picture_texts():
    import lxml.html

    tree = lxml.html.document_fromstring(ap_page(AP_CAROUSEL))
    found = picture_texts(tree)
    assert "A convoy of Russian armoured vehicles on the road to Goris, Armenia." in found  # alt
    assert "(AP Photo/Hayk Baghdasaryan)" in found  # credit
    assert not any("last Russian peacekeepers left" in t for t in found)


def test_a_story_block_whose_class_mentions_captions_is_no_caption():
    import lxml.html

    # Gizmodo's story body carries a "has-caption"-style class; its paragraphs are the story
    body = f'<div class="post-content js_has-caption">{STORY * 3}</div>'
    tree = lxml.html.document_fromstring(f"<html><body>{body}</body></html>")
    assert not any("peacekeepers" in t for t in picture_texts(tree))
