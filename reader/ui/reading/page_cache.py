"""A bounded cache of rendered pages: least recently used first out, bounded by the bytes the images hold.

The page view asks :class:`PageCache` for a page at the scale it shows; a page not there is rendered in the
background and put. The cache never holds more than :attr:`PageCache.limit` bytes: putting an image evicts
the least recently used ones until it fits, and an image larger than the whole limit is not kept (the
caller shows it once and renders it again when needed).
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtGui import QImage

#: The default bound: about 50 pages of a paper at 200% on a high-density screen.
DEFAULT_LIMIT = 200 * 1024 * 1024

PageKey = tuple[int, int]  #: (0-based page, scale in thousandths of a device pixel per point)


def page_key(page: int, scale: float) -> PageKey:
    return (page, round(scale * 1000))


class PageCache:
    """Rendered pages by (page, scale), bounded by :attr:`limit` bytes."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._images: OrderedDict[PageKey, QImage] = OrderedDict()
        self._bytes = 0
        self._limit = limit
        #: How many images were evicted to make room (for the benchmarks and tests).
        self.evictions = 0

    @property
    def limit(self) -> int:
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        self._limit = max(0, value)
        self._evict(0)

    @property
    def bytes_held(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._images)

    def __contains__(self, key: PageKey) -> bool:
        return key in self._images

    def get(self, key: PageKey) -> QImage | None:
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
        return image

    def any_scale(self, page: int) -> QImage | None:
        """The most recently used image of ``page`` at any scale (shown stretched until the right one is)."""
        for key in reversed(self._images):
            if key[0] == page:
                return self._images[key]
        return None

    def put(self, key: PageKey, image: QImage) -> bool:
        """Keep ``image`` (evicting older ones); False when it alone is larger than the limit."""
        size = image.sizeInBytes()
        old = self._images.pop(key, None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
        if size > self._limit:
            return False
        self._evict(size)
        self._images[key] = image
        self._bytes += size
        return True

    def _evict(self, room: int) -> None:
        while self._images and self._bytes + room > self._limit:
            _key, image = self._images.popitem(last=False)
            self._bytes -= image.sizeInBytes()
            self.evictions += 1

    def clear(self) -> None:
        self._images.clear()
        self._bytes = 0
