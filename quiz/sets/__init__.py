"""The question-set format: loading, validating and checking format-1 files."""
from .loader import (CheckResult, LoadedSet, Problem, SetFileError, check_paths, check_sets,
                     load_path, load_set, set_files)
from .model import STANDARD_LABELS, Label, Question, QuestionSet, Section, SortItem, Source

__all__ = ["CheckResult", "LoadedSet", "Problem", "SetFileError", "check_paths", "check_sets",
           "load_path", "load_set", "set_files", "STANDARD_LABELS", "Label", "Question",
           "QuestionSet", "Section", "SortItem", "Source"]
