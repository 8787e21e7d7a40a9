"""Dates as people type them (issue 8, point 4): every way an auditor writes a date, and the words when it is not one."""

from __future__ import annotations

from datetime import date, time

import pytest

from qadesk.core.dates import DateProblem, british_date, complete_date, full_year, parse_date, parse_time

TODAY = date(2026, 11, 15)


@pytest.mark.parametrize("typed", ["15/11/2026", "15/11/26", "2026-11-15", "15 Nov 2026", "15 November 2026",
                                   "15th November 2026", "15-Nov-2026", "Nov 15, 2026", "15.11.2026", "15-11-2026",
                                   "15112026", "151126", "20261115", " 15 / 11 / 2026 ", "15 nov 26", "15 Nov",
                                   "15/11", "today"])
def test_every_way_of_writing_15_november_2026(typed):
    assert parse_date(typed, TODAY) == date(2026, 11, 15)


def test_day_comes_first_as_in_britain():
    assert parse_date("1/6/2026", TODAY) == date(2026, 6, 1)
    assert parse_date("01/06/2026", TODAY) == date(2026, 6, 1)
    assert parse_date("12/1/2027", TODAY) == date(2027, 1, 12)


def test_yesterday_and_tomorrow():
    assert parse_date("Yesterday", TODAY) == date(2026, 11, 14)
    assert parse_date("tomorrow", TODAY) == date(2026, 11, 16)


@pytest.mark.parametrize(("yy", "year"), [(0, 2000), (26, 2026), (27, 2027), (46, 2046), (47, 1947), (98, 1998),
                                          (99, 1999)])
def test_two_digit_years_mean_the_nearest_sensible_century(yy, year):
    assert full_year(yy, TODAY) == year
    assert parse_date(f"3/4/{yy:02d}", TODAY).year == year


def test_two_digit_years_slide_with_the_present():
    assert full_year(50, date(2031, 1, 1)) == 2050
    assert full_year(52, date(2031, 1, 1)) == 1952


@pytest.mark.parametrize("leap", [2024, 2028, 2000])
def test_29_february_in_a_leap_year(leap):
    assert parse_date(f"29/02/{leap}", TODAY) == date(leap, 2, 29)
    assert parse_date(f"29 Feb {leap}", TODAY) == date(leap, 2, 29)


@pytest.mark.parametrize("year", [2025, 2026, 2100, 1900])
def test_29_february_in_a_year_that_is_not_leap_says_so(year):
    with pytest.raises(DateProblem, match=f"{year} is not a leap year"):
        parse_date(f"29/02/{year}", TODAY)


@pytest.mark.parametrize(("typed", "words"), [
    ("31/02/2026", "February 2026 has 28 days, so there is no 31 February"),
    ("31/4/2026", "April 2026 has 30 days"),
    ("15/13/2026", "there is no month 13"),
    ("0/1/2026", "there is no day 0"),
    ("15/11/202", "write the year with four digits"),
    ("1 Smarch 2026", "is not a month"),
    ("1/1/1800", "outside what qadesk takes"),
    ("next week", "is not a date qadesk can read: write it like 25/11/2026"),
    ("", "No date was given"),
])
def test_what_is_not_a_date_is_refused_in_words(typed, words):
    with pytest.raises(DateProblem) as caught:
        parse_date(typed, TODAY)
    assert words in caught.value.message


def test_a_date_is_complete_once_its_year_has_four_digits():
    assert complete_date("15/11/2026") and complete_date("2026-11-15") and complete_date("15 Nov 2026")
    assert not complete_date("15/11/2")  # still being typed: 15/11/20... would be taken as 2020
    assert not complete_date("15/11/20")
    assert not complete_date("2026-11-1")
    assert not complete_date("31/02/2026")


def test_dates_are_shown_the_british_way():
    assert british_date(date(2026, 11, 25)) == "25 Nov 2026"
    assert british_date(date(2026, 6, 1)) == "1 Jun 2026"


@pytest.mark.parametrize(("typed", "when"), [("14:30", time(14, 30)), ("14.30", time(14, 30)), ("1430", time(14, 30)),
                                             ("2:30pm", time(14, 30)), ("2pm", time(14, 0)), ("12am", time(0, 0)),
                                             ("12pm", time(12, 0)), ("9", time(9, 0)), ("0905", time(9, 5))])
def test_times_as_people_type_them(typed, when):
    assert parse_time(typed) == when


@pytest.mark.parametrize(("typed", "words"), [("25:00", "no hour 25"), ("14:75", "minutes 0 to 59"),
                                              ("13pm", "1 to 12"), ("lunchtime", "is not a time")])
def test_what_is_not_a_time_is_refused_in_words(typed, words):
    with pytest.raises(DateProblem, match=words):
        parse_time(typed)
