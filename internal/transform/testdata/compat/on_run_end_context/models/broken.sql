select * from no_such_relation_here
