"""Reading radiographs and landmark files: formats, headers, spacing, grids, phantoms."""
