DROP TABLE transform_projects;
