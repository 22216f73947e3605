"""A vision-language model re-checks the hits of a search ("LLaVA pick").

CLIP ranks the photos; a local VLM then looks at the top ones and answers whether each shows the
query. Its answer is the probability of "yes" from its next-token logits (:mod:`.vlm`), cached
per (photo content, question, model) so a second look is free (:mod:`.answers`); the hits can then
be re-ranked by it, filtered by it, or blended with the CLIP score (:mod:`.recheck`).

Optional and lazy: importing this package imports neither torch nor transformers.
"""
