-- Revoked keys are not revived.
SELECT 1;
