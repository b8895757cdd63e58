"""CC2D-TPL: a landmark U-Net trained on pseudo labels plus the template's true labels
(paper Sec. 2.2), predicting per landmark a heat map and offsets that vote for the position.
"""
