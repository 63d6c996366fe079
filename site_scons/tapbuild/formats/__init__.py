"""File formats written and read in Python: cabinets, compound files, Authenticode."""
