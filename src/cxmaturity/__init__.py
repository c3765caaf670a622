"""cx-maturity: assess and grow an organization's customer-experience maturity."""

__version__ = "0.1.0"
