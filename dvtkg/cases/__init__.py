"""Patient cases: case sheets and case graphs, derived facts and data conflicts."""
