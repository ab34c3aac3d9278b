"""What the person's tablet says, in each of the twelve content languages.

The tablet in conversation mode speaks the person's language, not the station's UI language
(zh/en gettext catalogs), so its few texts live here beside the phrasebook's own prompt ("Is
this what you mean?"). Every text is a maintainer draft until a certified translator verifies
it, like the phrasebook. The officer-facing parts of the tablet (the PIN to leave) use the UI
catalogs instead: the officer reads them.
"""

from __future__ import annotations

from accord.interpret.phrasebook import CONFIRM_PROMPT, LANGUAGES, NONE_OF_THESE

TEXTS: dict[str, dict[str, str]] = {
    "choose_language": {
        "zh": "请选择您的语言", "en": "Choose your language", "ru": "Выберите ваш язык",
        "fr": "Choisissez votre langue", "es": "Elija su idioma", "de": "Wählen Sie Ihre Sprache",
        "pt": "Escolha a sua língua", "ja": "言語を選んでください", "ko": "언어를 선택하세요",
        "ar": "اختر لغتك", "vi": "Chọn ngôn ngữ của bạn", "th": "เลือกภาษาของคุณ",
    },
    "type_here": {
        "zh": "请写下您想说的话", "en": "Write what you want to say",
        "ru": "Напишите, что вы хотите сказать", "fr": "Écrivez ce que vous voulez dire",
        "es": "Escriba lo que quiere decir", "de": "Schreiben Sie, was Sie sagen möchten",
        "pt": "Escreva o que quer dizer", "ja": "伝えたいことを書いてください",
        "ko": "하고 싶은 말을 적어 주세요", "ar": "اكتب ما تريد قوله",
        "vi": "Hãy viết điều bạn muốn nói", "th": "เขียนสิ่งที่คุณต้องการจะพูด",
    },
    "send": {
        "zh": "发送", "en": "Send", "ru": "Отправить", "fr": "Envoyer", "es": "Enviar",
        "de": "Senden", "pt": "Enviar", "ja": "送信", "ko": "보내기", "ar": "إرسال",
        "vi": "Gửi", "th": "ส่ง",
    },
    "no_match": {
        "zh": "没有找到相近的句子。请换一种说法，或要求翻译人员。",
        "en": "No close sentence was found. Please say it differently, or ask for an "
              "interpreter.",
        "ru": "Похожая фраза не найдена. Скажите иначе или попросите переводчика.",
        "fr": "Aucune phrase proche n'a été trouvée. Dites-le autrement ou demandez un "
              "interprète.",
        "es": "No se encontró una frase parecida. Dígalo de otra forma o pida un intérprete.",
        "de": "Es wurde kein ähnlicher Satz gefunden. Sagen Sie es bitte anders oder bitten "
              "Sie um einen Dolmetscher.",
        "pt": "Não foi encontrada uma frase parecida. Diga de outra forma ou peça um "
              "intérprete.",
        "ja": "近い文が見つかりませんでした。別の言い方をするか、通訳を頼んでください。",
        "ko": "비슷한 문장을 찾지 못했습니다. 다르게 말하거나 통역사를 요청하세요.",
        "ar": "لم يتم العثور على جملة قريبة. قلها بطريقة أخرى أو اطلب مترجمًا.",
        "vi": "Không tìm thấy câu gần giống. Hãy nói cách khác hoặc yêu cầu phiên dịch viên.",
        "th": "ไม่พบประโยคที่ใกล้เคียง กรุณาพูดด้วยวิธีอื่น หรือขอล่าม",
    },
    "officer_says": {
        "zh": "警察说：", "en": "The officer says:", "ru": "Полицейский говорит:",
        "fr": "Le policier dit :", "es": "El agente dice:", "de": "Der Polizist sagt:",
        "pt": "O agente diz:", "ja": "警察官の言葉：", "ko": "경찰관의 말:",
        "ar": "يقول الشرطي:", "vi": "Cán bộ công an nói:", "th": "เจ้าหน้าที่ตำรวจพูดว่า:",
    },
    "you_said": {
        "zh": "您确认了：", "en": "You confirmed:", "ru": "Вы подтвердили:",
        "fr": "Vous avez confirmé :", "es": "Usted confirmó:", "de": "Sie haben bestätigt:",
        "pt": "Confirmou:", "ja": "あなたが確認した文：", "ko": "확인하신 문장:",
        "ar": "لقد أكدت:", "vi": "Bạn đã xác nhận:", "th": "คุณยืนยันว่า:",
    },
    "listen": {
        "zh": "朗读", "en": "Listen", "ru": "Прослушать", "fr": "Écouter", "es": "Escuchar",
        "de": "Anhören", "pt": "Ouvir", "ja": "聞く", "ko": "듣기", "ar": "استمع",
        "vi": "Nghe", "th": "ฟัง",
    },
    "waiting": {
        "zh": "请稍候，警察会回答您。", "en": "Please wait for the officer.",
        "ru": "Пожалуйста, подождите ответа полицейского.",
        "fr": "Veuillez attendre le policier.", "es": "Por favor, espere al agente.",
        "de": "Bitte warten Sie auf den Polizisten.", "pt": "Por favor, aguarde o agente.",
        "ja": "警察官をお待ちください。", "ko": "경찰관을 기다려 주세요.",
        "ar": "يرجى انتظار الشرطي.", "vi": "Vui lòng chờ cán bộ công an.",
        "th": "กรุณารอเจ้าหน้าที่ตำรวจ",
    },
    "ended": {
        "zh": "对话已结束。请把平板电脑还给警察。",
        "en": "The conversation has ended. Please give the tablet back to the officer.",
        "ru": "Разговор окончен. Пожалуйста, верните планшет полицейскому.",
        "fr": "La conversation est terminée. Veuillez rendre la tablette au policier.",
        "es": "La conversación ha terminado. Devuelva la tableta al agente.",
        "de": "Das Gespräch ist beendet. Bitte geben Sie das Tablet dem Polizisten zurück.",
        "pt": "A conversa terminou. Devolva o tablet ao agente.",
        "ja": "会話は終了しました。タブレットを警察官に返してください。",
        "ko": "대화가 끝났습니다. 태블릿을 경찰관에게 돌려주세요.",
        "ar": "انتهت المحادثة. يرجى إعادة الجهاز اللوحي إلى الشرطي.",
        "vi": "Cuộc trò chuyện đã kết thúc. Vui lòng trả máy tính bảng cho cán bộ công an.",
        "th": "การสนทนาสิ้นสุดแล้ว กรุณาคืนแท็บเล็ตให้เจ้าหน้าที่ตำรวจ",
    },
    "draft_note": {
        "zh": "这些句子是维护者的草稿，尚未经认证译员审定。",
        "en": "These sentences are drafts, not yet checked by a certified translator.",
        "ru": "Эти фразы — черновики, ещё не проверенные сертифицированным переводчиком.",
        "fr": "Ces phrases sont des brouillons, pas encore vérifiés par un traducteur certifié.",
        "es": "Estas frases son borradores, aún no revisados por un traductor certificado.",
        "de": "Diese Sätze sind Entwürfe, noch nicht von einem beeidigten Übersetzer geprüft.",
        "pt": "Estas frases são rascunhos, ainda não verificados por um tradutor certificado.",
        "ja": "これらの文は下書きで、認定翻訳者による確認はまだです。",
        "ko": "이 문장들은 초안이며 아직 공인 번역사의 확인을 받지 않았습니다.",
        "ar": "هذه الجمل مسودات لم يراجعها بعد مترجم معتمد.",
        "vi": "Các câu này là bản nháp, chưa được phiên dịch viên có chứng chỉ kiểm tra.",
        "th": "ประโยคเหล่านี้เป็นฉบับร่าง ยังไม่ได้ตรวจโดยนักแปลที่ได้รับการรับรอง",
    },
    "record": {
        "zh": "开始说话", "en": "Speak", "ru": "Говорить", "fr": "Parler", "es": "Hablar",
        "de": "Sprechen", "pt": "Falar", "ja": "話す", "ko": "말하기", "ar": "تحدث",
        "vi": "Nói", "th": "พูด",
    },
    "stop": {
        "zh": "停止", "en": "Stop", "ru": "Стоп", "fr": "Arrêter", "es": "Detener",
        "de": "Stopp", "pt": "Parar", "ja": "停止", "ko": "중지", "ar": "إيقاف", "vi": "Dừng",
        "th": "หยุด",
    },
    "to_text": {
        "zh": "转为文字", "en": "Turn into text", "ru": "Превратить в текст",
        "fr": "Transformer en texte", "es": "Convertir en texto", "de": "In Text umwandeln",
        "pt": "Converter em texto", "ja": "文字にする", "ko": "글자로 바꾸기",
        "ar": "تحويل إلى نص", "vi": "Chuyển thành chữ", "th": "แปลงเป็นข้อความ",
    },
    "draft": {
        "zh": "这是自动识别的草稿。请检查并修改，然后发送。",
        "en": "This is an automatic draft. Check it, correct it, then send it.",
        "ru": "Это автоматический черновик. Проверьте, исправьте и отправьте.",
        "fr": "Ceci est un brouillon automatique. Vérifiez-le, corrigez-le, puis envoyez-le.",
        "es": "Este es un borrador automático. Revíselo, corríjalo y envíelo.",
        "de": "Dies ist ein automatischer Entwurf. Prüfen und korrigieren Sie ihn, dann senden.",
        "pt": "Isto é um rascunho automático. Verifique, corrija e depois envie.",
        "ja": "これは自動で作った下書きです。確認して直してから送信してください。",
        "ko": "자동으로 만든 초안입니다. 확인하고 고친 다음 보내세요.",
        "ar": "هذه مسودة آلية. راجعها وصححها ثم أرسلها.",
        "vi": "Đây là bản nháp tự động. Hãy kiểm tra, sửa rồi gửi.",
        "th": "นี่คือร่างอัตโนมัติ กรุณาตรวจและแก้ไข แล้วจึงส่ง",
    },
    "not_heard": {
        "zh": "没有听清。请再说一次，或者写下来。",
        "en": "That could not be heard. Please say it again, or write it.",
        "ru": "Не удалось разобрать. Скажите ещё раз или напишите.",
        "fr": "Cela n'a pas pu être entendu. Redites-le ou écrivez-le.",
        "es": "No se ha podido oír. Dígalo otra vez o escríbalo.",
        "de": "Das war nicht zu verstehen. Bitte noch einmal sagen oder schreiben.",
        "pt": "Não foi possível ouvir. Diga outra vez ou escreva.",
        "ja": "聞き取れませんでした。もう一度話すか、書いてください。",
        "ko": "알아들을 수 없었습니다. 다시 말하거나 적어 주세요.",
        "ar": "لم يكن الكلام مسموعًا. قله مرة أخرى أو اكتبه.",
        "vi": "Không nghe rõ. Hãy nói lại hoặc viết ra.",
        "th": "ไม่ได้ยินชัดเจน กรุณาพูดอีกครั้งหรือเขียน",
    },
    # The language-ID suggestion after the person typed (shown in the chosen language and in
    # the suggested one; the person taps a language name, nothing switches by itself).
    "looks_like": {
        "zh": "这段文字看起来像{name}。要切换语言吗？",
        "en": "This looks like {name}. Switch?",
        "ru": "Похоже, это {name}. Переключить язык?",
        "fr": "Ce texte semble être en {name}. Changer de langue ?",
        "es": "Parece que está escrito en {name}. ¿Cambiar de idioma?",
        "de": "Das sieht nach {name} aus. Sprache wechseln?",
        "pt": "Parece estar escrito em {name}. Mudar de língua?",
        "ja": "{name}のようです。言語を切り替えますか？",
        "ko": "{name}(으)로 보입니다. 언어를 바꾸시겠습니까?",
        "ar": "يبدو أن النص بلغة {name}. هل تريد تغيير اللغة؟",
        "vi": "Có vẻ đây là {name}. Chuyển ngôn ngữ?",
        "th": "ข้อความนี้ดูเหมือนเป็นภาษา {name} ต้องการเปลี่ยนภาษาไหม",
    },
    "may_also_be": {
        "zh": "也可能是{names}。如果是，请要求翻译人员。",
        "en": "It may also be {names}. If so, ask for an interpreter.",
        "ru": "Возможно, это {names}. Если так, попросите переводчика.",
        "fr": "Ce peut aussi être {names}. Dans ce cas, demandez un interprète.",
        "es": "También puede ser {names}. En ese caso, pida un intérprete.",
        "de": "Es könnte auch {names} sein. Bitten Sie dann um einen Dolmetscher.",
        "pt": "Também pode ser {names}. Nesse caso, peça um intérprete.",
        "ja": "{names}の可能性もあります。その場合は通訳を頼んでください。",
        "ko": "{names}일 수도 있습니다. 그렇다면 통역사를 요청하세요.",
        "ar": "قد يكون أيضًا {names}. في هذه الحالة اطلب مترجمًا.",
        "vi": "Cũng có thể là {names}. Nếu vậy, hãy yêu cầu phiên dịch viên.",
        "th": "อาจเป็น {names} ก็ได้ หากใช่ กรุณาขอล่าม",
    },
    "prompt": CONFIRM_PROMPT,
    "none_of_these": NONE_OF_THESE,
}


#: Endonyms of the languages language ID confuses with a phrasebook language (its close
#: groups): named on the tablet when the text may be one of them. No phrasebook exists in
#: these, so the person is told to ask for an interpreter.
CLOSE_ENDONYMS: dict[str, str] = {
    "uz": "Oʻzbekcha", "ms": "Bahasa Melayu", "id": "Bahasa Indonesia", "hi": "हिन्दी",
    "mr": "मराठी", "ur": "اردو", "sr": "Српски", "hr": "Hrvatski", "bs": "Bosanski",
}


def texts_for(language: str) -> dict[str, str]:
    """Every tablet text in ``language`` (English for a language not in the list)."""
    lang = language if language in LANGUAGES else "en"
    return {key: values.get(lang, values["en"]) for key, values in TEXTS.items()}


def check() -> None:
    """Every text exists in every content language (run at import: a gap stops the app)."""
    for key, values in TEXTS.items():
        missing = [lang for lang in LANGUAGES if not values.get(lang, "").strip()]
        if missing:
            raise ValueError(f"kiosk text {key!r} misses {', '.join(missing)}")


check()
