"""What each page does with the gateway's API: one module per area (storefront, privacy
centre, staff console), each function taking what it needs as arguments."""
