"""Reading a PPTX deck back with python-pptx, as a person would see it: each slide's title, its texts (text boxes and
placeholders), its tables (as rows of cell texts) and its pictures (with their text alternatives)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, cast

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.shapes.picture import Picture

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@dataclass(frozen=True)
class SlidePicture:
    name: str
    content_type: str
    data: bytes
    alt: str
    inside: bool


@dataclass(frozen=True)
class SlideContent:
    title: str
    texts: tuple[str, ...]
    tables: tuple[tuple[tuple[str, ...], ...], ...]
    pictures: tuple[SlidePicture, ...]

    @property
    def all_text(self) -> str:
        cells = [cell for table in self.tables for row in table for cell in row]
        return "\n".join([self.title, *self.texts, *cells])


def read(data: bytes) -> tuple[SlideContent, ...]:
    deck = Presentation(io.BytesIO(data))
    width, height = deck.slide_width, deck.slide_height
    assert width is not None
    assert height is not None
    found = []
    for slide in deck.slides:
        title = slide.shapes.title.text if slide.shapes.title is not None else ""
        texts, tables, pictures = [], [], []
        for shape in slide.shapes:
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                assert isinstance(shape, Picture)
                pictures.append(
                    SlidePicture(
                        shape.name,
                        shape.image.content_type,
                        shape.image.blob,
                        cast(Any, shape._element).nvPicPr.cNvPr.get("descr", ""),
                        shape.left >= 0
                        and shape.top >= 0
                        and shape.left + shape.width <= width
                        and shape.top + shape.height <= height,
                    )
                )
            elif shape.has_table:
                grid = shape.table
                tables.append(tuple(tuple(cell.text for cell in row.cells) for row in grid.rows))
            elif shape.has_text_frame and shape != slide.shapes.title:
                texts.append(shape.text_frame.text)
        found.append(SlideContent(title, tuple(texts), tuple(tables), tuple(pictures)))
    return tuple(found)


def titles(slides: tuple[SlideContent, ...]) -> list[str]:
    return [s.title for s in slides]
