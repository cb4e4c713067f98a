//! Tests of `ImageFolder` on small trees of PNG files written by the tests.

use super::*;
use image::{GrayImage, Luma, Rgb, RgbImage};

fn write_gray(path: &Path, width: u32, height: u32, level: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    GrayImage::from_pixel(width, height, Luma([level]))
        .save(path)
        .unwrap();
}

fn flat_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5u8 {
        write_gray(
            &dir.path().join(format!("circle/{i}.png")),
            10 + u32::from(i),
            12,
            40 * i,
        );
        write_gray(
            &dir.path().join(format!("square/{i}.png")),
            30,
            30,
            200 - 10 * i,
        );
    }
    std::fs::write(dir.path().join("square/broken.png"), b"not a png").unwrap();
    dir
}

#[test]
fn opens_flat_tree_with_seeded_split_and_skips_broken_files() {
    let dir = flat_tree();
    let d = ImageFolder::open(dir.path(), ImageFolderOptions::default()).unwrap();
    assert_eq!(d.len(), 10);
    assert_eq!(d.class_names(), ["circle", "square"]);
    assert_eq!(d.skipped().len(), 1);
    assert!(d.skipped()[0].path.ends_with("square/broken.png"));
    assert_eq!(d.sample_id(0), "circle/0.png");
    assert_eq!(d.label(0), 0);
    assert_eq!(d.label(9), 1);
    let val = crate::indices_of(&d, "val");
    assert_eq!(val.len(), 2);
    assert_ne!(
        d.label(val[0] as usize),
        d.label(val[1] as usize),
        "stratified"
    );
    assert_eq!(
        d.input_shape(),
        InputShape::Image {
            channels: 1,
            height: 28,
            width: 28
        }
    );
    let mut out = vec![0f32; 28 * 28];
    d.write_features(9, &mut out);
    assert!(out.iter().all(|v| v.is_finite()));
    let again = ImageFolder::open(dir.path(), ImageFolderOptions::default()).unwrap();
    assert_eq!(d.fingerprint(), again.fingerprint());
}

#[test]
fn image_returns_the_original_file_bytes() {
    let dir = flat_tree();
    let d = ImageFolder::open(dir.path(), ImageFolderOptions::default()).unwrap();
    let ImageSource::Encoded(bytes) = d.image(3).unwrap() else {
        panic!("image folders return encoded bytes");
    };
    assert_eq!(&bytes[..], &std::fs::read(d.path(3)).unwrap()[..]);
    std::fs::remove_file(d.path(3)).unwrap();
    assert!(matches!(d.image(3), Err(DataError::MissingFile { .. })));
}

#[test]
fn first_image_size_and_rgb_give_planar_three_channels() {
    let dir = tempfile::tempdir().unwrap();
    let mut red = RgbImage::from_pixel(6, 4, Rgb([255, 0, 0]));
    red.put_pixel(0, 0, Rgb([0, 0, 255]));
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    red.save(dir.path().join("a/red.png")).unwrap();
    RgbImage::from_pixel(9, 9, Rgb([0, 255, 0]))
        .save(dir.path().join("a/green.png"))
        .unwrap();
    let options = ImageFolderOptions {
        size: InputSize::FirstImage,
        color: ColorMode::Rgb,
        val_fraction: 0.0,
        ..ImageFolderOptions::default()
    };
    let d = ImageFolder::open(dir.path(), options).unwrap();
    // "a/green.png" sorts first, so its 9x9 is the input size.
    assert_eq!(
        d.input_shape(),
        InputShape::Image {
            channels: 3,
            height: 9,
            width: 9
        }
    );
    let mut out = vec![0f32; 3 * 81];
    d.write_features(0, &mut out);
    // Green image: the green plane sits above the others after normalisation.
    assert!(out[81] > out[0] && out[81] > out[162]);
    assert!(crate::indices_of(&d, "val").is_empty());
}

#[test]
fn split_folders_become_origins() {
    let dir = tempfile::tempdir().unwrap();
    write_gray(&dir.path().join("train/x/1.png"), 4, 4, 1);
    write_gray(&dir.path().join("train/y/2.png"), 4, 4, 2);
    write_gray(&dir.path().join("val/x/3.png"), 4, 4, 3);
    write_gray(&dir.path().join("test/y/4.png"), 4, 4, 4);
    let d = ImageFolder::open(dir.path(), ImageFolderOptions::default()).unwrap();
    let origins: Vec<&str> = (0..d.len()).map(|i| d.origin(i)).collect();
    assert_eq!(origins, ["train", "train", "val", "test"]);
    assert_eq!(d.sample_id(3), "test/y/4.png");
    assert_eq!(d.label(3), 1);
}

#[test]
fn errors_for_no_readable_images_and_bad_size() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::fs::write(dir.path().join("a/x.png"), b"garbage").unwrap();
    let err = ImageFolder::open(dir.path(), ImageFolderOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, DataError::Empty { .. }), "{err}");
    assert!(
        err.to_string().contains("1 file(s) could not be decoded"),
        "{err}"
    );
    let err = ImageFolder::open(
        dir.path(),
        ImageFolderOptions {
            size: InputSize::Fixed {
                width: 0,
                height: 5,
            },
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(
        matches!(err, DataError::InvalidOption { name: "size", .. }),
        "{err}"
    );
    let err = ImageFolder::open(dir.path().join("missing"), ImageFolderOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, DataError::MissingFile { .. }), "{err}");
}
