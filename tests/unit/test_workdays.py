from datetime import date

from bot.workdays import holiday_name, is_working_day, next_working_day


def test_weekends_holidays_and_the_year_end_break_are_not_working_days() -> None:
    assert is_working_day(date(2026, 11, 26))  # a Thursday
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 11, 23)) and holiday_name(date(2026, 11, 23))  # 勤労感謝の日
    assert not is_working_day(date(2026, 5, 6))  # 振替休日 for Constitution Day on a Sunday
    assert not is_working_day(date(2026, 9, 22))  # 国民の休日 between 敬老の日 and 秋分の日
    assert not is_working_day(date(2026, 12, 29)) and not is_working_day(date(2027, 1, 3))  # 年末年始
    assert is_working_day(date(2027, 1, 4))


def test_next_working_day_skips_the_whole_year_end_break() -> None:
    assert next_working_day(date(2026, 12, 26)) == date(2026, 12, 28)  # 御用納め
    assert next_working_day(date(2026, 12, 29)) == date(2027, 1, 4)
    assert next_working_day(date(2026, 11, 26)) == date(2026, 11, 26)
