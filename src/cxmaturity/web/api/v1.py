"""API version 1 (to be written)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
