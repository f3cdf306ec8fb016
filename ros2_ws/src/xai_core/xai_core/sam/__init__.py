"""Segment Anything with box-tolerant prompts (issue #9).

* :mod:`.build`: SAM sizes (official vit_b / vit_l / vit_h, and ``sam_small`` for this machine),
  built from ``segment-anything``'s modules; loads official checkpoints from local files.
* :mod:`.model`: the 128-d box-tolerance prompt token added to the sparse prompt embeddings.
* :mod:`.predictor`: numpy-facing predictor, embedding cache, iterative box refinement.
* :mod:`.boxes`: box conventions, random / fixed size shifts, change rate, IoU.
* :mod:`.synthetic`: EM-like cell images and generic shape scenes with instance masks.
* :mod:`.em_readers`: ISBI 2012 and EPFL / Lucchi stacks in their published formats.
* :mod:`.checkpoint`: this project's SAM checkpoint files.
"""
