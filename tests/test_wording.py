from reader.wording import counted, plural, problems_told, upvotes


def test_one_is_singular_and_numbers_are_grouped() -> None:
    assert counted(1, "paper") == "1 paper"
    assert counted(0, "paper") == "0 papers"
    assert counted(91714, "paper") == "91,714 papers"
    assert counted(1, "comment") == "1 comment"
    assert counted(2, "match") == "2 matches"
    assert counted(3, "entry") == "3 entries"
    assert counted(2, "person", "people") == "2 people"


def test_plural_rules() -> None:
    assert plural("problem") == "problems"
    assert plural("day") == "days"
    assert plural("box") == "boxes"


def test_an_estimate_says_about() -> None:
    assert counted(15063, "paper", exact=False) == "about 15,000 papers"
    assert counted(91714, "paper", exact=False) == "about 92,000 papers"
    assert counted(87, "paper", exact=False) == "about 87 papers"
    assert counted(15063, "paper", exact=True) == "15,063 papers"


def test_problems_and_warnings_in_one_wording() -> None:
    assert problems_told(1, 2) == "1 problem, 2 warnings"
    assert problems_told(0, 1) == "1 warning"
    assert problems_told(3, 0) == "3 problems"
    assert problems_told(0, 0) == ""


def test_upvotes_are_grouped() -> None:
    assert upvotes(1163) == "▲1,163"
    assert upvotes(1163, spaced=True) == "▲ 1,163"
    assert upvotes(87) == "▲87"
