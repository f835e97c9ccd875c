"""From a case to an assessment: the pipeline, its result model and its explanations."""
