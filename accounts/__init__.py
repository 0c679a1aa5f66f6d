"""People: the user model (email login) and the role summary every page reads."""
