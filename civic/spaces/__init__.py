"""Spaces: wards (scopes) and the council's programmes; participatory processes follow."""
