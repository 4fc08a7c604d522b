"""Canvas in and out: a "Download Submissions" folder or zip into the class layout, and the gradebook out
as CSV and as a Canvas gradebook import file."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile

from grader.cli import main
from grader.gradebook.store import Gradebook
from conftest import EXAMPLES
from test_gradebook import record, result

ROSTER = "id,name,email,lms_id\nada,Ada Lovelace,ada@x.edu,101\nben,Ben Babbage,ben@x.edu,102\ncy,Cy Young,,\n"


def canvas_download(folder):
    folder.mkdir()
    shutil.copy(EXAMPLES / "cy" / "xor.ipynb", folder / "lovelaceada_101_5001_xor.ipynb")
    shutil.copy(EXAMPLES / "ada" / "xor.ipynb", folder / "lovelaceada_LATE_101_5002_xor-1.ipynb")  # re-upload
    shutil.copy(EXAMPLES / "ben" / "gradient_descent.ipynb", folder / "babbageben_102_5003_Homework 1.ipynb")
    shutil.copy(EXAMPLES / "ben" / "softmax.ipynb", folder / "hopperg_777_5004_softmax (1).ipynb")
    (folder / "babbageben_102_5005_notes.txt").write_text("my notes")
    (folder / "readme.ipynb").write_text("{}")
    return folder


def test_a_canvas_download_becomes_the_class_layout(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text(ROSTER)
    download = canvas_download(tmp_path / "download")
    target = tmp_path / "class"
    assert main(["import", str(download), str(target), "--roster", str(tmp_path / "roster.csv")]) == 0
    out = capsys.readouterr().out
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    # roster ids from Canvas user ids; Canvas's name and user id where the roster does not know the user
    assert files == ["ada/xor.ipynb", "ben/gradient_descent.ipynb", "hopperg_777/softmax.ipynb"]
    assert (target / "ada" / "xor.ipynb").read_bytes() == (EXAMPLES / "ada" / "xor.ipynb").read_bytes()  # the newer
    assert "LATE" in out and "metadata" in out  # "Homework 1.ipynb" was recognised by its metadata
    assert "'.txt' files are not graded" in out and "not a Canvas download name" in out
    assert "3 submission(s) of 3 student(s) imported" in out


def test_a_zip_cannot_write_outside_the_class_folder(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../evil_103_1_xor.ipynb", (EXAMPLES / "ada" / "xor.ipynb").read_bytes())
        z.writestr("/etc/evil2_104_2_xor.ipynb", (EXAMPLES / "ada" / "xor.ipynb").read_bytes())
        z.writestr("dir/../../../x_105_3_..%2Fxor.ipynb", b"{}")
    target = tmp_path / "deep" / "class"
    assert main(["import", str(archive), str(target)]) == 0
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
                     if p.is_file() and not p.name.startswith("gradebook.sqlite"))
    assert written == ["deep/class/evil2_104/xor.ipynb", "deep/class/evil_103/xor.ipynb", "submissions.zip"]


def test_an_import_with_nothing_to_import_fails(tmp_path):
    (tmp_path / "empty").mkdir()
    assert main(["import", str(tmp_path / "empty"), str(tmp_path / "class")]) == 2


def test_export_writes_the_gradebook_and_a_canvas_import_file(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text(ROSTER + "=HYPERLINK(\"x\"),Mallory,,103\n")
    book_path = tmp_path / "gb.sqlite"
    book = Gradebook(book_path)
    record(book, result("ada", "xor", scores=(2.0, 2.0)))
    record(book, result("ben", "softmax", scores=(1.0, 0.0)))
    book.add_override("ben", "softmax", "check1", 2.0, "regrade request accepted", "prof")
    args = ["--gradebook", str(book_path), "--roster", str(tmp_path / "roster.csv"), "--out", str(tmp_path / "x")]
    assert main(["export", *args, "--column", "xor=Lab 2: XOR (4821)"]) == 0
    assert "cy" in capsys.readouterr().err  # no LMS id: Canvas cannot match them, and we say so
    rows = list(csv.reader(io.StringIO((tmp_path / "x" / "canvas.csv").read_text())))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert len(rows[0]) == 10 and rows[0][6] == "Lab 2: XOR (4821)"  # course order: gradient_descent, xor, ...
    columns = rows[0]
    assert rows[1][0] == "Points Possible"
    by_id = {r[1]: dict(zip(columns, r)) for r in rows[2:]}
    assert by_id["101"]["Lab 2: XOR (4821)"] == "4" and by_id["101"]["Student"] == "Ada Lovelace"
    softmax = next(c for c in columns if c not in ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
                   and by_id["102"][c])
    assert by_id["102"][softmax] == "3"  # 1 + the override's 2
    assert by_id["102"]["Lab 2: XOR (4821)"] == ""  # missing stays blank
    grades = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "x" / "gradebook.csv").read_text()))}
    assert grades["ben"]["softmax"] == "3" and "regrade request accepted" in grades["ben"]["overrides"]
    assert grades["cy"]["missing"] == "5" and grades["ada"]["total"] == "4"
    assert "'=HYPERLINK(\"x\")" in grades  # never a formula in a spreadsheet
    assert main(["export", *args, "--missing", "zero"]) == 0
    grades = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "x" / "gradebook.csv").read_text()))}
    assert grades["cy"]["xor"] == "0"
