-- A small shop schema with every kind of object the manifest records.
CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE shop;
CREATE TABLE customers (
  id INT PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  email VARCHAR(128) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE orders (
  id INT PRIMARY KEY,
  customer_id INT NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  created DATETIME NOT NULL,
  KEY (customer_id)
) ENGINE=InnoDB;
CREATE TABLE order_items (
  order_id INT NOT NULL,
  line INT NOT NULL,
  sku VARCHAR(32) NOT NULL,
  qty INT NOT NULL,
  PRIMARY KEY (order_id, line)
) ENGINE=InnoDB;
CREATE TABLE audit_log (
  id INT AUTO_INCREMENT PRIMARY KEY,
  msg VARCHAR(255) NOT NULL
) ENGINE=Aria;
INSERT INTO customers SELECT seq, CONCAT('customer ', seq), CONCAT('c', seq, '@example.com') FROM seq_1_to_200;
INSERT INTO orders SELECT seq, 1 + seq % 200, seq * 1.25, '2024-01-01' + INTERVAL seq MINUTE FROM seq_1_to_2000;
INSERT INTO order_items SELECT o.seq, l.seq, CONCAT('SKU-', o.seq * 10 + l.seq), l.seq FROM seq_1_to_2000 o, seq_1_to_3 l;
INSERT INTO audit_log (msg) SELECT CONCAT('event ', seq) FROM seq_1_to_50;
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 1000;
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit_log (msg) VALUES (CONCAT('order ', NEW.id));
CREATE PROCEDURE customer_total(IN cid INT) SELECT SUM(total) FROM orders WHERE customer_id = cid;
CREATE FUNCTION order_count(cid INT) RETURNS INT DETERMINISTIC RETURN (SELECT COUNT(*) FROM orders WHERE customer_id = cid);
CREATE EVENT purge_audit ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DO DELETE FROM audit_log WHERE id < 0;
CREATE USER IF NOT EXISTS 'shop'@'%' IDENTIFIED BY 'shop-pass-1';
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'shop'@'%';
CREATE USER IF NOT EXISTS 'shop'@'localhost' IDENTIFIED BY 'shop-pass-1';
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'shop'@'localhost';
