"""Label descriptions written by a local language model (CuPL: "customized prompts via language
models"): several sentences per label, asked with CuPL's questions in the label's language,
shown to the person to keep or edit, and saved with the label set as whole sentences.

:mod:`.cupl` reads and writes the JSON CuPL published (``{label: [sentences]}``) and puts
sentences into a label set; :mod:`.writer` generates them with a transformers instruct model.
Optional and lazy: importing this package imports neither torch nor transformers.
"""
