"""Dataclasses that the workers take and return: the SDK builds them from the task input and
turns returned ones into the task output."""

from dataclasses import dataclass, field


@dataclass
class OrderInfo:
    order_id: int
    sku: str
    quantity: int
    sku_price: float


@dataclass
class Address:
    street: str
    city: str
    zipcode: str


@dataclass
class User:
    id: int
    name: str
    email: str
    address: Address
    tags: list[str] = field(default_factory=list)
