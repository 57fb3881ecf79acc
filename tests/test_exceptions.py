"""Errors keep their message and fields across a process boundary (portfolio workers)."""

import pickle

from reportlib.exceptions import ConfigError, InputError, Problem, ReportlibError, SectionError


def test_every_error_derives_from_one_root():
    for cls in (ConfigError, InputError, SectionError):
        assert issubclass(cls, ReportlibError)


def test_section_error_pickles_intact():
    err = pickle.loads(pickle.dumps(SectionError("04_cohort_economics", 7, "KeyError: 'mrr'")))
    assert (err.section, err.cell, err.error) == ("04_cohort_economics", 7, "KeyError: 'mrr'")
    assert str(err) == "The section '04_cohort_economics', cell 7 failed: KeyError: 'mrr'"


def test_input_error_pickles_with_problems_and_warnings():
    problems = [
        Problem("mrr is negative (-40)", file="mrr.csv", row=3, column="mrr"),
        Problem("one month only", severity="warning"),
    ]
    err = pickle.loads(pickle.dumps(ConfigError(problems, company="acme")))
    assert isinstance(err, ConfigError) and err.company == "acme"
    assert [str(p) for p in err.problems] == ["mrr.csv, row 3, column 'mrr': mrr is negative (-40)"]
    assert len(err.warnings) == 1
