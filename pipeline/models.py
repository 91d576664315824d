# Pipelines, stages, opportunities and their history arrive with the pipeline issue.
