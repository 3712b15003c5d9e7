"""How the module speaks: warnings that point at the caller's line, and the library's text in
Python's words (keyword arguments, not the command-line tool's flags).

The library's messages are shared by its front ends; where one still names a flag of the
``notewise`` program (``--align=auto``), :func:`keyword_text` renders it as the keyword argument
of this module (``align='auto'``). The table is the only place that knows both spellings.
"""

import os
import re
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# Flags whose Python spelling is not the flag's name with dashes as underscores, or that carry a
# value (regular expressions and their replacements, in order: "--align=auto" before "--align").
# Any other "--flag-name" becomes "flag_name=".
_FLAGS = (
    (r"--align=auto\b", "align='auto'"),
    (r"--align\b(?![=-])", "align=True"),
    (r"--mute '", "mute='"),
    (r"--drums ignore\b", "drums='ignore'"),
    (r"--method nmf\b", "method='nmf'"),
    (r"--label-by ([\w-]+)", r"label_by='\1'"),
    (r"--timbre ([\w-]+)", r"timbre='\1'"),
    (r"--instrument LABEL=FAMILY", "instruments={label: family}"),
    (r"--instrument\b(?!-)", "instruments="),
    (r"--sr\b(?!-)", "analysis_sr="),
    (r"--group\b(?!-)", "groups="),
)
_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")


def keyword_text(text):
    """The library's message with each setting it names spelt as this module's keyword: the
    library's "{setting:NAME}" placeholders by the library's own rendering, then the flags that
    some of its messages still spell (regular expressions below)."""
    if "{setting:" in text:
        from . import _notewise
        text = _notewise.render_settings(text)
    if "--" not in text:
        return text
    for flag, keyword in _FLAGS:
        text = re.sub(r"(?<![\w-])" + flag, keyword, text)
    return _FLAG.sub(lambda m: m.group(1).replace("-", "_") + "=", text)


def _inside(frame):
    return os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR


def warn(message, category=UserWarning):
    """warnings.warn with the stacklevel of the first frame outside this package: the warning
    names the user's file and line however deep in notewise it was raised."""
    frame, level = sys._getframe(0), 1
    while frame is not None and _inside(frame):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
