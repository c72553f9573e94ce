"""Draw the brand icon and logo (a reef fish over a sun ramp) with Pillow."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).parent.parent / "custom_components" / "reef_scheduler" / "brand"


def draw_icon(size: int) -> Image.Image:
    """Return the square icon at the given size."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 256
    d.rounded_rectangle((8 * s, 8 * s, 248 * s, 248 * s), radius=48 * s, fill=(10, 61, 98, 255))
    # A light ramp: sunrise arc over the water line.
    d.pieslice((40 * s, 70 * s, 216 * s, 246 * s), 180, 360, fill=(255, 196, 61, 255))
    d.rectangle((24 * s, 158 * s, 232 * s, 232 * s), fill=(26, 140, 196, 255))
    # Fish.
    d.ellipse((78 * s, 168 * s, 170 * s, 214 * s), fill=(255, 112, 67, 255))
    d.polygon(
        [(166 * s, 191 * s), (200 * s, 170 * s), (200 * s, 212 * s)], fill=(255, 112, 67, 255)
    )
    d.ellipse((96 * s, 182 * s, 106 * s, 192 * s), fill=(255, 255, 255, 255))
    # Clock hands: it is a scheduler.
    d.line((128 * s, 158 * s, 128 * s, 110 * s), fill=(10, 61, 98, 255), width=max(1, int(8 * s)))
    d.line((128 * s, 158 * s, 160 * s, 140 * s), fill=(10, 61, 98, 255), width=max(1, int(8 * s)))
    return img


def main() -> None:
    """Write icon.png, icon@2x.png, logo.png and logo@2x.png."""
    OUT.mkdir(parents=True, exist_ok=True)
    draw_icon(256).save(OUT / "icon.png")
    draw_icon(512).save(OUT / "icon@2x.png")
    draw_icon(256).save(OUT / "logo.png")
    draw_icon(512).save(OUT / "logo@2x.png")


if __name__ == "__main__":
    main()
