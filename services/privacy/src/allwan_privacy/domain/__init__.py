"""Every rule of a privacy request: the aggregate, its clock, the export it produces."""
