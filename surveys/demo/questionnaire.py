"""The demo questionnaire (English and Chinese) and the campaign that sends it."""

from surveys.models import Campaign, Dimension, Question, QuestionKind, Questionnaire

from .constants import DEMO_LINEAGE

DETRACTOR_VALUES = [str(n) for n in range(7)]

WHAT_WENT_WRONG = [
    {"value": "slow", "en": "It took too long", "zh-hans": "处理时间太长"},
    {"value": "not_solved", "en": "My problem was not solved", "zh-hans": "问题没有解决"},
    {
        "value": "repeat",
        "en": "I had to explain my problem more than once",
        "zh-hans": "我不得不多次说明问题",
    },
    {"value": "manner", "en": "The agent was unhelpful or impolite", "zh-hans": "客服人员不够耐心或不礼貌"},
    {"value": "other", "en": "Something else", "zh-hans": "其他原因"},
]

# key, kind, dimension, required, English text, Chinese text, English help, Chinese help
QUESTIONS = [
    (
        "nps",
        QuestionKind.NPS,
        "",
        True,
        "How likely are you to recommend us to a friend or colleague?",
        "您向朋友或同事推荐我们的可能性有多大？",
        "0 = not at all likely, 10 = extremely likely",
        "0 = 完全不可能，10 = 非常可能",
    ),
    (
        "csat",
        QuestionKind.CSAT,
        Dimension.OVERALL,
        True,
        "Overall, how satisfied are you with how your request was handled?",
        "总体而言，您对这次请求的处理满意吗？",
        "1 = very dissatisfied, 5 = very satisfied",
        "1 = 非常不满意，5 = 非常满意",
    ),
    (
        "quality",
        QuestionKind.RATING,
        Dimension.QUALITY,
        False,
        "How would you rate the quality of the answer you received?",
        "您如何评价所获得答复的质量？",
        "",
        "",
    ),
    (
        "attitude",
        QuestionKind.RATING,
        Dimension.ATTITUDE,
        False,
        "How courteous and professional was the person who helped you?",
        "为您服务的客服人员是否礼貌、专业？",
        "",
        "",
    ),
    (
        "timeliness",
        QuestionKind.RATING,
        Dimension.TIMELINESS,
        False,
        "How satisfied are you with how quickly we responded and resolved it?",
        "您对我们的响应和解决速度满意吗？",
        "",
        "",
    ),
    (
        "effectiveness",
        QuestionKind.RATING,
        Dimension.EFFECTIVENESS,
        False,
        "How well did we actually solve your problem?",
        "您的问题实际解决得怎么样？",
        "",
        "",
    ),
    (
        "ces",
        QuestionKind.CES,
        "",
        False,
        "How easy was it to get your issue resolved?",
        "解决您的问题有多容易？",
        "1 = very difficult, 7 = very easy",
        "1 = 非常困难，7 = 非常容易",
    ),
    (
        "what_went_wrong",
        QuestionKind.MULTI_CHOICE,
        "",
        False,
        "What went wrong?",
        "哪些方面让您不满意？",
        "Choose all that apply.",
        "可多选。",
    ),
    (
        "comment",
        QuestionKind.TEXT,
        "",
        False,
        "Anything else you would like to tell us?",
        "您还有其他想告诉我们的吗？",
        "",
        "",
    ),
    (
        "complaint",
        QuestionKind.YES_NO,
        "",
        False,
        "I want to make a formal complaint about this request.",
        "我要就此次服务提出正式投诉。",
        "A team lead will contact you within one working day.",
        "团队主管将在一个工作日内与您联系。",
    ),
]


def questionnaire_create() -> tuple[Questionnaire, dict[str, Question]]:
    """The demo questionnaire, recognisable by its fixed lineage; returns its questions by key."""
    questionnaire = Questionnaire.objects.create(
        lineage=DEMO_LINEAGE,
        title="How did we do?",
        title_zh_hans="我们的服务怎么样？",
        intro="Thank you for contacting support. A minute of your time helps us improve.",
        intro_zh_hans="感谢您联系客户支持。花一分钟回答几个问题，帮助我们改进服务。",
        thank_you="Thank you! Your feedback goes straight to the team that helped you.",
        thank_you_zh_hans="谢谢！您的反馈会直接转达给为您服务的团队。",
    )
    questions = []
    for order, (key, kind, dimension, required, text, text_zh, help_en, help_zh) in enumerate(QUESTIONS, 1):
        question = Question(
            questionnaire=questionnaire,
            order=order,
            key=key,
            kind=kind,
            dimension=dimension,
            required=required,
            text=text,
            text_zh_hans=text_zh,
            help_text=help_en,
            help_text_zh_hans=help_zh,
        )
        if key == "what_went_wrong":
            question.choices = WHAT_WENT_WRONG
            question.condition_key = "nps"
            question.condition_values = DETRACTOR_VALUES
        question.raises_complaint = key == "complaint"
        questions.append(question)
    Question.objects.bulk_create(questions)
    return questionnaire, {question.key: question for question in questions}


def campaign_create(*, questionnaire: Questionnaire) -> Campaign:
    """Every closed ticket, an hour after closure, at most once a month per customer."""
    return Campaign.objects.create(
        name="After every closed ticket (demo)",
        questionnaire=questionnaire,
        delay_minutes=60,
        sample_rate=100,
        throttle_days=30,
        reminder_after_hours=48,
        max_reminders=1,
        link_expiry_days=14,
        email_subject="How did we do with “{{ ticket_subject }}”?",
        email_subject_zh_hans="您对“{{ ticket_subject }}”的处理满意吗？",
        email_body=(
            "Hello {{ customer_name }},\n\n"
            "We recently closed your request “{{ ticket_subject }}”. How likely are you to recommend "
            "us to a friend or colleague? One click below is all it takes."
        ),
        email_body_zh_hans=(
            "{{ customer_name }}，您好：\n\n"
            "您的请求“{{ ticket_subject }}”已处理完毕。您向朋友或同事推荐我们的可能性有多大？"
            "只需点击下方的分数即可。"
        ),
        sender_name="Acme Support",
        low_csat_is_complaint=True,
        create_followups=True,
        alert_recipients="support-leads@example.com",
    )
