import pytest

from scraper.normalise.language import declared_code, detect_language

EN = "Russian peacekeepers began leaving the Karabakh region on Wednesday, the Kremlin confirmed, ending a mission that started in 2020."
RU = "Российские миротворцы начали покидать Карабах, подтвердили в Кремле. Миссия продолжалась с ноября 2020 года."
HY = "Ռուս խաղաղապահները սկսել են հեռանալ Ղարաբաղից, հաստատել են Կրեմլում։ Առաքելությունը սկսվել էր 2020 թվականի նոյեմբերին։"
AZ = "Rusiya sülhməramlıları Qarabağ bölgəsini tərk etməyə başlayıb. Prezidentin köməkçisi bu barədə məlumat verib."
# Azerbaijani without ə: only the page's or outlet's language can tell it from Turkish.
AZ_NO_SCHWA = "Rusiya sulh qüvvələri bu gün Xankəndidən çıxır deyə bildirildi"
TR = "Rus barış gücü askerleri bugün bölgeden çekilmeye başladı, Kremlin sözcüsü açıklama yaptı ve süreç devam ediyor."
KA = "რუსი სამშვიდობოები ყარაბაღიდან გასვლას იწყებენ, კრემლმა დაადასტურა ეს ინფორმაცია."


@pytest.mark.parametrize(
    "text, declared, outlet, expected",
    [
        (EN, None, None, ("en", "langdetect")),
        (RU, None, None, ("ru", "langdetect")),
        (HY, None, None, ("hy", "script")),  # langdetect alone says Estonian
        (HY, "ru", "ru", ("hy", "script")),  # the script outranks a wrong declaration
        (KA, None, None, ("ka", "script")),
        (AZ, None, None, ("az", "letters")),  # langdetect alone says Turkish
        (TR, None, None, ("tr", "langdetect")),
        (TR, "az", "az", ("az", "declared")),
        (TR, None, "az", ("az", "outlet")),
        ("Short", "hy-AM", "ru", ("hy", "declared")),  # too little text to judge
        ("", None, "az", ("az", "outlet")),
    ],
)
def test_detect_language(text, declared, outlet, expected):
    assert detect_language(text, declared, outlet) == expected


def test_detection_repeats():
    assert len({detect_language(EN + " " + RU) for _ in range(5)}) == 1


@pytest.mark.parametrize(
    "tag, code",
    [("hy-AM", "hy"), ("az_Latn_AZ", "az"), ("RU", "ru"), ("en", "en"), ("", None), (None, None), ("x-klingon", None)],
)
def test_declared_code(tag, code):
    assert declared_code(tag) == code
