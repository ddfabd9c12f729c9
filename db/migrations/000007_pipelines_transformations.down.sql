DROP TABLE IF EXISTS transformations, pipelines;
