"""Reading the text in photos (OCR) and searching by it.

PP-OCRv4 Chinese + English models inside the ``rapidocr_onnxruntime`` wheel read each indexed
photo once per content, in worker processes (:mod:`.runner`, :mod:`.worker`, :mod:`.reader`);
the lines with their boxes go to ``text.sqlite3`` with an FTS5 trigram index (:mod:`.store`);
queries match them exactly (quoted) or fuzzily (:mod:`.match`), and the search fuses them with
CLIP's ranking or filters by them (:class:`clipdesk.core.search.PhotoText`).

Optional and lazy: importing this package imports neither ONNX Runtime nor OpenCV.
"""
