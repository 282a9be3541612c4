"""The quicker shared-strings table of `aidcase.sheetfiles` gives what openpyxl's does."""

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.reader.strings import read_string_table

from aidcase.sheetfiles import open_sheets, shared_strings

FILES = Path(__file__).resolve().parent.parent / "data" / "spreadsheets"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# Plain text, rich-text runs (one with a phonetic guide, whose text is not the cell's), an empty
# string, one with spaces kept, the escape openpyxl removes, and characters outside the BMP.
TABLE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="{NS}" count="7" uniqueCount="7">
<si><t>张三</t></si>
<si><r><rPr><b/></rPr><t>七年级</t></r><r><t xml:space="preserve">（1）班 </t></r></si>
<si><t>吕</t><rPh sb="0" eb="1"><t>lǚ</t></rPh></si>
<si><t/></si>
<si><t xml:space="preserve">  前后空格  </t></si>
<si><t>a_x005F_x000D_b</t></si>
<si><t>𠮷野家</t></si>
</sst>""".encode()


def test_the_same_strings_as_openpyxl_on_rich_text_phonetics_and_escapes():
    assert shared_strings(io.BytesIO(TABLE)) == read_string_table(io.BytesIO(TABLE))
    assert shared_strings(io.BytesIO(TABLE))[:3] == ["张三", "七年级（1）班 ", "吕"]


@pytest.mark.parametrize("path", sorted(FILES.glob("*.xlsx")), ids=lambda p: p.name)
def test_the_same_strings_as_openpyxl_in_every_committed_workbook(path):
    with zipfile.ZipFile(path) as archive:
        if "xl/sharedStrings.xml" not in archive.namelist():
            pytest.skip("no shared strings")
        ours = shared_strings(archive.open("xl/sharedStrings.xml"))
        theirs = read_string_table(archive.open("xl/sharedStrings.xml"))
    assert ours == theirs


def test_a_workbook_reads_the_same_cells_as_openpyxl_reads_them():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["学籍号", "姓名", "班级"])
    sheet.append(["G001", "张三", "七年级(1)班"])
    sheet.append(["G002", "李四", None])
    out = io.BytesIO()
    workbook.save(out)
    [read] = open_sheets(io.BytesIO(out.getvalue()), name="名册.xlsx")
    expected = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert [values for _n, values in read.rows] == [
        list(row) for row in expected.active.iter_rows(values_only=True)
    ]
