DROP TABLE IF EXISTS installation;
