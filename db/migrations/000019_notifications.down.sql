DROP TABLE notification_deliveries;
DROP TABLE notifications;
