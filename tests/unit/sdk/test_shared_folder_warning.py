"""The SDK warns at import when conductor-python was installed into its folder (the two
distributions share the ``conductor/client`` import paths): checked in a fresh interpreter over a
site folder made in the test."""

import shutil
import subprocess
import sys
from pathlib import Path

import conductor

SDK_PACKAGE = Path(conductor.__file__).parent
PROBE = """
import sys, warnings
sys.path.insert(0, sys.argv[1])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import conductor.client
assert conductor.client.__file__.startswith(sys.argv[1]), conductor.client.__file__
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
"""


def site_with_the_sdk(folder: Path, official_record: str | None) -> Path:
    """A site folder holding this SDK and, with ``official_record``, the dist-info of a
    conductor-python whose RECORD lists those lines."""
    site = folder / "site-packages"
    shutil.copytree(SDK_PACKAGE, site / "conductor", ignore=shutil.ignore_patterns("__pycache__"))
    if official_record is not None:
        info = site / "conductor_python-2.0.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: conductor-python\n")
        (info / "RECORD").write_text(official_record)
    return site


def warnings_at_import(site: Path) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(site)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout.splitlines()


def test_conductor_python_in_the_same_folder_is_named_with_the_fix(tmp_path: Path):
    record = "conductor/__init__.py,sha256=x,1\nconductor/client/__init__.py,sha256=y,2\n"
    [warning] = warnings_at_import(site_with_the_sdk(tmp_path, record))
    folder = tmp_path / "site-packages" / "conductor" / "client"
    assert warning.startswith(f"SharedFolderWarning: {folder} holds files of two distributions")
    assert "conductor-workers (this worker SDK) and conductor-python 2.0.0" in warning
    assert "pip uninstall -y conductor-workers conductor-python" in warning
    assert "pip install conductor-python (or pip install ./sdk for this SDK)" in warning


def test_no_warning_when_the_folder_is_the_sdks_alone(tmp_path: Path):
    assert warnings_at_import(site_with_the_sdk(tmp_path, None)) == []


def test_no_warning_for_a_conductor_python_that_owns_no_file_of_this_folder(tmp_path: Path):
    # e.g. a record of an unrelated layout: only conductor/client/__init__.py marks the clash
    record = "conductor_python_extras/__init__.py,sha256=x,1\n"
    assert warnings_at_import(site_with_the_sdk(tmp_path, record)) == []
