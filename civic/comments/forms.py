"""Forms for comments. The rules (length, position, depth, who may write) are the services'; these forms
only make sure something sensible was sent."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from civic.comments.services import ALIGNMENTS, BODY_HINT, BODY_MAX, VOTES


class AlignmentField(RadioField):
    """In favour, neutral or against; neutral when nothing was chosen."""

    def pre_validate(self, form) -> None:
        if self.data not in {str(v) for v in ALIGNMENTS}:
            raise ValidationError("Choose in favour, neutral or against.")


class CommentForm(FlaskForm):
    body = TextAreaField("Your comment", validators=[
        InputRequired("Write your comment."),
        Length(max=BODY_MAX, message=f"Keep your comment to {BODY_MAX:,} characters or fewer.")],
        description=BODY_HINT)
    alignment = AlignmentField("Your position", choices=[(str(v), label) for v, label in ALIGNMENTS.items()],
                               default="0")


class VoteForm(FlaskForm):
    vote = HiddenField(validators=[InputRequired()])

    def validate_vote(self, field) -> None:
        if field.data not in VOTES:
            raise ValidationError("Vote up, down or take your vote back.")


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that post (delete)."""
