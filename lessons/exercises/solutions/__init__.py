"""Reference solutions of the exercises. The grader never uses them: it grades by finite differences."""
