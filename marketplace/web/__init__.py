"""The market's website: pages for businesses, haulers and anyone with an account (views, forms, urls)."""
