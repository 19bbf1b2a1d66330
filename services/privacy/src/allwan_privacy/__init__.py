"""Privacy requests (PDPL): a customer's access, correction and erasure requests, each tracked
against its 30-day clock and fulfilled as a saga over Kafka; the access request's export."""
