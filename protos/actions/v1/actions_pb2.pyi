import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_CUSTOMER_NOT_LINKED: _ClassVar[ErrorReason]
    ERROR_REASON_SUBSCRIPTION_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_SUBSCRIPTION_NOT_ACTIVE: _ClassVar[ErrorReason]
    ERROR_REASON_ACTION_DISABLED: _ClassVar[ErrorReason]
    ERROR_REASON_CONVERSATION_NOT_OPEN: _ClassVar[ErrorReason]
    ERROR_REASON_NEXT_ORDER_CHANGED: _ClassVar[ErrorReason]
    ERROR_REASON_ORDERGROOVE_REJECTED: _ClassVar[ErrorReason]
    ERROR_REASON_REQUEST_ID_REUSED: _ClassVar[ErrorReason]
    ERROR_REASON_UPSTREAM_UNAVAILABLE: _ClassVar[ErrorReason]
    ERROR_REASON_DEADLINE_EXCEEDED: _ClassVar[ErrorReason]
    ERROR_REASON_ACTION_NOT_APPLIED: _ClassVar[ErrorReason]
    ERROR_REASON_STATE_CHANGED: _ClassVar[ErrorReason]
    ERROR_REASON_ACTION_UNCONFIRMED: _ClassVar[ErrorReason]

class SubscriptionsView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBSCRIPTIONS_VIEW_UNSPECIFIED: _ClassVar[SubscriptionsView]
    SUBSCRIPTIONS_VIEW_BASIC: _ClassVar[SubscriptionsView]
    SUBSCRIPTIONS_VIEW_FULL: _ClassVar[SubscriptionsView]

class SubscriptionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBSCRIPTION_STATUS_UNSPECIFIED: _ClassVar[SubscriptionStatus]
    SUBSCRIPTION_STATUS_ACTIVE: _ClassVar[SubscriptionStatus]
    SUBSCRIPTION_STATUS_CANCELLED: _ClassVar[SubscriptionStatus]
    SUBSCRIPTION_STATUS_INACTIVE: _ClassVar[SubscriptionStatus]

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_CANCEL: _ClassVar[Action]
    ACTION_SKIP: _ClassVar[Action]
    ACTION_REACTIVATE: _ClassVar[Action]
    ACTION_CHANGE_NEXT_ORDER_DATE: _ClassVar[Action]
    ACTION_CHANGE_FREQUENCY: _ClassVar[Action]
    ACTION_CHANGE_QUANTITY: _ClassVar[Action]
    ACTION_SEND_NOW: _ClassVar[Action]
    ACTION_CHANGE_RENEWAL: _ClassVar[Action]
    ACTION_CANCEL_ORDER: _ClassVar[Action]
    ACTION_CHANGE_ITEM_QUANTITY: _ClassVar[Action]
    ACTION_REMOVE_FROM_ORDER: _ClassVar[Action]
    ACTION_ISSUE_DISCOUNT: _ClassVar[Action]
    ACTION_SWAP_PRODUCT: _ClassVar[Action]
    ACTION_CHANGE_SHIPPING_ADDRESS: _ClassVar[Action]

class FrequencyPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FREQUENCY_PERIOD_UNSPECIFIED: _ClassVar[FrequencyPeriod]
    FREQUENCY_PERIOD_DAY: _ClassVar[FrequencyPeriod]
    FREQUENCY_PERIOD_WEEK: _ClassVar[FrequencyPeriod]
    FREQUENCY_PERIOD_MONTH: _ClassVar[FrequencyPeriod]
    FREQUENCY_PERIOD_YEAR: _ClassVar[FrequencyPeriod]

class DiscountTarget(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISCOUNT_TARGET_UNSPECIFIED: _ClassVar[DiscountTarget]
    DISCOUNT_TARGET_ORDER: _ClassVar[DiscountTarget]
    DISCOUNT_TARGET_ITEM: _ClassVar[DiscountTarget]

class DiscountKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISCOUNT_KIND_UNSPECIFIED: _ClassVar[DiscountKind]
    DISCOUNT_KIND_AMOUNT: _ClassVar[DiscountKind]
    DISCOUNT_KIND_PERCENT: _ClassVar[DiscountKind]
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_CUSTOMER_NOT_LINKED: ErrorReason
ERROR_REASON_SUBSCRIPTION_NOT_FOUND: ErrorReason
ERROR_REASON_SUBSCRIPTION_NOT_ACTIVE: ErrorReason
ERROR_REASON_ACTION_DISABLED: ErrorReason
ERROR_REASON_CONVERSATION_NOT_OPEN: ErrorReason
ERROR_REASON_NEXT_ORDER_CHANGED: ErrorReason
ERROR_REASON_ORDERGROOVE_REJECTED: ErrorReason
ERROR_REASON_REQUEST_ID_REUSED: ErrorReason
ERROR_REASON_UPSTREAM_UNAVAILABLE: ErrorReason
ERROR_REASON_DEADLINE_EXCEEDED: ErrorReason
ERROR_REASON_ACTION_NOT_APPLIED: ErrorReason
ERROR_REASON_STATE_CHANGED: ErrorReason
ERROR_REASON_ACTION_UNCONFIRMED: ErrorReason
SUBSCRIPTIONS_VIEW_UNSPECIFIED: SubscriptionsView
SUBSCRIPTIONS_VIEW_BASIC: SubscriptionsView
SUBSCRIPTIONS_VIEW_FULL: SubscriptionsView
SUBSCRIPTION_STATUS_UNSPECIFIED: SubscriptionStatus
SUBSCRIPTION_STATUS_ACTIVE: SubscriptionStatus
SUBSCRIPTION_STATUS_CANCELLED: SubscriptionStatus
SUBSCRIPTION_STATUS_INACTIVE: SubscriptionStatus
ACTION_UNSPECIFIED: Action
ACTION_CANCEL: Action
ACTION_SKIP: Action
ACTION_REACTIVATE: Action
ACTION_CHANGE_NEXT_ORDER_DATE: Action
ACTION_CHANGE_FREQUENCY: Action
ACTION_CHANGE_QUANTITY: Action
ACTION_SEND_NOW: Action
ACTION_CHANGE_RENEWAL: Action
ACTION_CANCEL_ORDER: Action
ACTION_CHANGE_ITEM_QUANTITY: Action
ACTION_REMOVE_FROM_ORDER: Action
ACTION_ISSUE_DISCOUNT: Action
ACTION_SWAP_PRODUCT: Action
ACTION_CHANGE_SHIPPING_ADDRESS: Action
FREQUENCY_PERIOD_UNSPECIFIED: FrequencyPeriod
FREQUENCY_PERIOD_DAY: FrequencyPeriod
FREQUENCY_PERIOD_WEEK: FrequencyPeriod
FREQUENCY_PERIOD_MONTH: FrequencyPeriod
FREQUENCY_PERIOD_YEAR: FrequencyPeriod
DISCOUNT_TARGET_UNSPECIFIED: DiscountTarget
DISCOUNT_TARGET_ORDER: DiscountTarget
DISCOUNT_TARGET_ITEM: DiscountTarget
DISCOUNT_KIND_UNSPECIFIED: DiscountKind
DISCOUNT_KIND_AMOUNT: DiscountKind
DISCOUNT_KIND_PERCENT: DiscountKind

class GetSubscriptionsRequest(_message.Message):
    __slots__ = ("customer_id", "email", "gladly_customer_id", "view")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    GLADLY_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    email: str
    gladly_customer_id: str
    view: SubscriptionsView
    def __init__(self, customer_id: _Optional[str] = ..., email: _Optional[str] = ..., gladly_customer_id: _Optional[str] = ..., view: _Optional[_Union[SubscriptionsView, str]] = ...) -> None: ...

class GetSubscriptionsResponse(_message.Message):
    __slots__ = ("linked", "customer", "subscriptions", "total_count", "active_count", "addresses")
    LINKED_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    linked: bool
    customer: Customer
    subscriptions: _containers.RepeatedCompositeFieldContainer[Subscription]
    total_count: int
    active_count: int
    addresses: _containers.RepeatedCompositeFieldContainer[ShippingAddress]
    def __init__(self, linked: _Optional[bool] = ..., customer: _Optional[_Union[Customer, _Mapping]] = ..., subscriptions: _Optional[_Iterable[_Union[Subscription, _Mapping]]] = ..., total_count: _Optional[int] = ..., active_count: _Optional[int] = ..., addresses: _Optional[_Iterable[_Union[ShippingAddress, _Mapping]]] = ...) -> None: ...

class ShippingAddress(_message.Message):
    __slots__ = ("address_id", "label", "text")
    ADDRESS_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    address_id: str
    label: str
    text: str
    def __init__(self, address_id: _Optional[str] = ..., label: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class Customer(_message.Message):
    __slots__ = ("customer_id", "first_name", "last_name", "email", "phone_number")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    first_name: str
    last_name: str
    email: str
    phone_number: str
    def __init__(self, customer_id: _Optional[str] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., email: _Optional[str] = ..., phone_number: _Optional[str] = ...) -> None: ...

class Subscription(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "status", "product", "quantity", "price", "currency_code", "frequency", "next_order", "create_time", "update_time", "cancel_time", "cancel_reason_code", "cancel_reason_details", "prepaid", "available_actions", "cancel_reason_text", "prepaid_plan", "shipping_address")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    NEXT_ORDER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_DETAILS_FIELD_NUMBER: _ClassVar[int]
    PREPAID_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_TEXT_FIELD_NUMBER: _ClassVar[int]
    PREPAID_PLAN_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    status: SubscriptionStatus
    product: Product
    quantity: int
    price: str
    currency_code: str
    frequency: Frequency
    next_order: NextOrder
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    cancel_time: _timestamp_pb2.Timestamp
    cancel_reason_code: str
    cancel_reason_details: str
    prepaid: bool
    available_actions: _containers.RepeatedScalarFieldContainer[Action]
    cancel_reason_text: str
    prepaid_plan: PrepaidPlan
    shipping_address: ShippingAddress
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., status: _Optional[_Union[SubscriptionStatus, str]] = ..., product: _Optional[_Union[Product, _Mapping]] = ..., quantity: _Optional[int] = ..., price: _Optional[str] = ..., currency_code: _Optional[str] = ..., frequency: _Optional[_Union[Frequency, _Mapping]] = ..., next_order: _Optional[_Union[NextOrder, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_reason_code: _Optional[str] = ..., cancel_reason_details: _Optional[str] = ..., prepaid: _Optional[bool] = ..., available_actions: _Optional[_Iterable[_Union[Action, str]]] = ..., cancel_reason_text: _Optional[str] = ..., prepaid_plan: _Optional[_Union[PrepaidPlan, _Mapping]] = ..., shipping_address: _Optional[_Union[ShippingAddress, _Mapping]] = ...) -> None: ...

class PrepaidPlan(_message.Message):
    __slots__ = ("orders_remaining", "orders_per_billing", "renewal_behavior")
    ORDERS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    ORDERS_PER_BILLING_FIELD_NUMBER: _ClassVar[int]
    RENEWAL_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    orders_remaining: int
    orders_per_billing: int
    renewal_behavior: str
    def __init__(self, orders_remaining: _Optional[int] = ..., orders_per_billing: _Optional[int] = ..., renewal_behavior: _Optional[str] = ...) -> None: ...

class Product(_message.Message):
    __slots__ = ("product_id", "name", "sku", "image_url")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    IMAGE_URL_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    name: str
    sku: str
    image_url: str
    def __init__(self, product_id: _Optional[str] = ..., name: _Optional[str] = ..., sku: _Optional[str] = ..., image_url: _Optional[str] = ...) -> None: ...

class Frequency(_message.Message):
    __slots__ = ("every", "period")
    EVERY_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    every: int
    period: FrequencyPeriod
    def __init__(self, every: _Optional[int] = ..., period: _Optional[_Union[FrequencyPeriod, str]] = ...) -> None: ...

class NextOrder(_message.Message):
    __slots__ = ("order_id", "place_time", "place_date", "lines")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_TIME_FIELD_NUMBER: _ClassVar[int]
    PLACE_DATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    place_time: _timestamp_pb2.Timestamp
    place_date: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    def __init__(self, order_id: _Optional[str] = ..., place_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., place_date: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("subscription_id", "product_id", "quantity", "item_id", "price")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    product_id: str
    quantity: int
    item_id: str
    price: str
    def __init__(self, subscription_id: _Optional[str] = ..., product_id: _Optional[str] = ..., quantity: _Optional[int] = ..., item_id: _Optional[str] = ..., price: _Optional[str] = ...) -> None: ...

class ActionContext(_message.Message):
    __slots__ = ("agent_id", "gladly_customer_id", "conversation_id")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    GLADLY_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    gladly_customer_id: str
    conversation_id: str
    def __init__(self, agent_id: _Optional[str] = ..., gladly_customer_id: _Optional[str] = ..., conversation_id: _Optional[str] = ...) -> None: ...

class CancelSubscriptionRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "reason_code", "reason_details", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_DETAILS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    reason_code: str
    reason_details: str
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., reason_code: _Optional[str] = ..., reason_details: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class CancelSubscriptionResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class SkipNextOrderRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "order_id", "request_id", "context", "expected_date")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_DATE_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    order_id: str
    request_id: str
    context: ActionContext
    expected_date: str
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., order_id: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ..., expected_date: _Optional[str] = ...) -> None: ...

class SkipNextOrderResponse(_message.Message):
    __slots__ = ("subscription", "skipped_order_id", "previous_next_order_time", "next_order_time", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_NEXT_ORDER_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_ORDER_TIME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    skipped_order_id: str
    previous_next_order_time: _timestamp_pb2.Timestamp
    next_order_time: _timestamp_pb2.Timestamp
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., skipped_order_id: _Optional[str] = ..., previous_next_order_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_order_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ReactivateSubscriptionRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "frequency", "first_order_date", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    FIRST_ORDER_DATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    frequency: Frequency
    first_order_date: str
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., frequency: _Optional[_Union[Frequency, _Mapping]] = ..., first_order_date: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class ChangeNextOrderDateRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "order_date", "expected_date", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_DATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    order_date: str
    expected_date: str
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., order_date: _Optional[str] = ..., expected_date: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class ChangeFrequencyRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "frequency", "expected_frequency", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    frequency: Frequency
    expected_frequency: Frequency
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., frequency: _Optional[_Union[Frequency, _Mapping]] = ..., expected_frequency: _Optional[_Union[Frequency, _Mapping]] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class ChangeQuantityRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "quantity", "expected_quantity", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    quantity: int
    expected_quantity: int
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., quantity: _Optional[int] = ..., expected_quantity: _Optional[int] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class SendNextOrderNowRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "expected_order_id", "request_id", "context", "expected_date", "expected_subscriptions")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    expected_order_id: str
    request_id: str
    context: ActionContext
    expected_date: str
    expected_subscriptions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., expected_order_id: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ..., expected_date: _Optional[str] = ..., expected_subscriptions: _Optional[_Iterable[str]] = ...) -> None: ...

class ChangeRenewalRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "renewal_behavior", "expected_renewal_behavior", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RENEWAL_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_RENEWAL_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    renewal_behavior: str
    expected_renewal_behavior: str
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., renewal_behavior: _Optional[str] = ..., expected_renewal_behavior: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class ReactivateSubscriptionResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ChangeNextOrderDateResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ChangeFrequencyResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ChangeQuantityResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class SendNextOrderNowResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ChangeRenewalResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "expected_order_id", "expected_date", "expected_subscriptions", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    expected_order_id: str
    expected_date: str
    expected_subscriptions: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., expected_order_id: _Optional[str] = ..., expected_date: _Optional[str] = ..., expected_subscriptions: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class ChangeItemQuantityRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "quantity", "expected_order_id", "expected_quantity", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    quantity: int
    expected_order_id: str
    expected_quantity: int
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., quantity: _Optional[int] = ..., expected_order_id: _Optional[str] = ..., expected_quantity: _Optional[int] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class RemoveFromOrderRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "expected_order_id", "expected_subscriptions", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    expected_order_id: str
    expected_subscriptions: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., expected_order_id: _Optional[str] = ..., expected_subscriptions: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class IssueDiscountRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "expected_order_id", "target", "kind", "value", "reason", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    expected_order_id: str
    target: DiscountTarget
    kind: DiscountKind
    value: str
    reason: str
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., expected_order_id: _Optional[str] = ..., target: _Optional[_Union[DiscountTarget, str]] = ..., kind: _Optional[_Union[DiscountKind, str]] = ..., value: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class SwapProductRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "product_id", "expected_product_id", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    product_id: str
    expected_product_id: str
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., product_id: _Optional[str] = ..., expected_product_id: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class ListSwapProductsRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "search")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    search: str
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., search: _Optional[str] = ...) -> None: ...

class ListSwapProductsResponse(_message.Message):
    __slots__ = ("products",)
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[SwapProduct]
    def __init__(self, products: _Optional[_Iterable[_Union[SwapProduct, _Mapping]]] = ...) -> None: ...

class SwapProduct(_message.Message):
    __slots__ = ("product", "price")
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    product: Product
    price: str
    def __init__(self, product: _Optional[_Union[Product, _Mapping]] = ..., price: _Optional[str] = ...) -> None: ...

class ChangeShippingAddressRequest(_message.Message):
    __slots__ = ("subscription_id", "customer_id", "address_id", "expected_address_id", "request_id", "context")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ADDRESS_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    customer_id: str
    address_id: str
    expected_address_id: str
    request_id: str
    context: ActionContext
    def __init__(self, subscription_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., address_id: _Optional[str] = ..., expected_address_id: _Optional[str] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[ActionContext, _Mapping]] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ChangeItemQuantityResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class RemoveFromOrderResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class IssueDiscountResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class SwapProductResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ChangeShippingAddressResponse(_message.Message):
    __slots__ = ("subscription", "summary")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    subscription: Subscription
    summary: str
    def __init__(self, subscription: _Optional[_Union[Subscription, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ListCancelReasonsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCancelReasonsResponse(_message.Message):
    __slots__ = ("reasons", "reason_required")
    REASONS_FIELD_NUMBER: _ClassVar[int]
    REASON_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    reasons: _containers.RepeatedCompositeFieldContainer[CancelReason]
    reason_required: bool
    def __init__(self, reasons: _Optional[_Iterable[_Union[CancelReason, _Mapping]]] = ..., reason_required: _Optional[bool] = ...) -> None: ...

class CancelReason(_message.Message):
    __slots__ = ("code", "text")
    CODE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    code: str
    text: str
    def __init__(self, code: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...
