"""Hostile packs and templates: the generator (make_hostile.py) and the suite that imports every one."""
