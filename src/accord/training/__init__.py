"""Training and certification: courses, certificates that gate capabilities, district profiles
and automation-bias drills (issue #21)."""
