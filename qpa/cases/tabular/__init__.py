"""Reading tables safely, for every import (Annex A, case lists, past audits).

- ``files``: is the file what it claims and safe to open (size, type, encryption,
  truncation, zip bombs)?
- ``readers``: calamine and CSV readers; the Annex A reader.
- ``peek``: the first rows of every sheet of an .xlsx, without loading the sheets.
- ``headers``: recognising an Annex A list by its headers.
- ``lists``: the Annex A lists, as data.
- ``cleaning``: cleaning cells, one at a time or a column at a time.
- ``errors``: a file refused, a cell or a row that could not be used.
- ``progress``: telling the caller how far a read has gone.

No models and no database: the importers in ``qpa.cases.imports``,
``qpa.cases.case_lists`` and ``qpa.audits.imports`` build on it.
"""
